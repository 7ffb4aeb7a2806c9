import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AckTimeoutError } from '@lead-router/kafka';
import { createLogger, createRegistry } from '@lead-router/observability';
import type { RawLead, SourceLeadReference } from '@lead-router/schemas';
import { LOGGER, METRICS_REGISTRY } from '@lead-router/service-kit';
import {
  googleLeadWebhook,
  linkedinLeadNotification,
  metaLeadgenNotification,
} from '@lead-router/testing';
import { HttpExceptionFilter } from '../http-exception.filter';
import { INGEST_CONFIG, loadIngestConfig } from '../ingest.config';
import { LeadPublisher } from '../lead.publisher';
import { registerRateLimits } from '../rate-limit';
import { ingestMetricsProvider } from './ingest-metrics.provider';
import { ReferencePublisher } from './reference.publisher';
import { SourcesController } from './sources.controller';
import { DEMO_MODE_ENV } from '@lead-router/config';

const SOURCES = `
sources:
  fb:
    platform: meta
    app_secret: { env: FB_SECRET }
    verify_token: { env: FB_VERIFY }
    access_token: { env: FB_TOKEN }
  gads:
    platform: google
    google_key: { env: GADS_KEY }
    rate_limit: { max: 3, window_seconds: 60 }
  li:
    platform: linkedin
    client_secret: { env: LI_SECRET }
    access_token: { env: LI_TOKEN }
`;
const env = {
  INGEST_SOURCES_FILE: '/etc/lead-router/sources.yaml',
  FB_SECRET: 'fb-app-secret',
  FB_VERIFY: 'fb-verify',
  GADS_KEY: 'gads-key',
  LI_SECRET: 'li-secret',
};
const hmac = (secret: string, body: string) =>
  createHmac('sha256', secret).update(body).digest('hex');

/** The webhooks' HTTP answers and what they hand to Kafka, with stand-in publishers. */
describe('ingest: ad-platform webhooks', () => {
  let app: NestFastifyApplication;
  let kafkaDown = false;
  const leads: RawLead[] = [];
  const references: SourceLeadReference[] = [];

  before(async () => {
    const { loadAdSources } = await import('./ad-sources.loader');
    const config = {
      ...loadIngestConfig({ ...DEMO_MODE_ENV }),
      adSources: loadAdSources(env.INGEST_SOURCES_FILE, env, () => SOURCES),
    };
    const logger = createLogger('ingest-spec', 'silent');
    @Module({
      controllers: [SourcesController],
      providers: [
        { provide: INGEST_CONFIG, useValue: config },
        {
          provide: LeadPublisher,
          useValue: {
            publish: async (lead: RawLead) => {
              if (kafkaDown) throw new AckTimeoutError(2000);
              leads.push(lead);
            },
          },
        },
        {
          provide: ReferencePublisher,
          useValue: {
            publishAll: async (refs: SourceLeadReference[]) => {
              if (kafkaDown) throw new AckTimeoutError(2000);
              references.push(...refs);
            },
          },
        },
        { provide: LOGGER, useValue: logger },
        { provide: METRICS_REGISTRY, useValue: createRegistry('ingest-spec') },
        ingestMetricsProvider,
      ],
    })
    class SpecModule {}
    app = await NestFactory.create<NestFastifyApplication>(SpecModule, new FastifyAdapter(), {
      logger: false,
      abortOnError: false,
      rawBody: true,
    });
    app.useGlobalFilters(new HttpExceptionFilter(logger));
    const fastify = app.getHttpAdapter().getInstance();
    fastify.removeAllContentTypeParsers();
    await registerRateLimits(fastify, config);
    await app.init();
    await fastify.ready();
  });
  after(() => app.close());
  beforeEach(() => {
    leads.length = 0;
    references.length = 0;
  });

  const request = async (
    method: 'GET' | 'POST',
    url: string,
    body?: string,
    headers: Record<string, string> = {},
  ) => {
    const res = await app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method,
        url,
        ...(body === undefined ? {} : { payload: body }),
        headers: {
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...headers,
        },
      });
    return { status: res.statusCode, body: res.body, headers: res.headers };
  };

  it('Meta: echoes hub.challenge for our verify token, 403 for another', async () => {
    const ok = await request(
      'GET',
      '/v1/sources/fb?hub.mode=subscribe&hub.verify_token=fb-verify&hub.challenge=4411',
    );
    assert.deepEqual([ok.status, ok.body], [200, '4411']);
    const wrong = await request(
      'GET',
      '/v1/sources/fb?hub.mode=subscribe&hub.verify_token=guess&hub.challenge=4411',
    );
    assert.equal(wrong.status, 403);
  });

  it('Meta: a signed leadgen notification puts one reference on sources.fetch', async () => {
    const body = JSON.stringify(metaLeadgenNotification('777'));
    const res = await request('POST', '/v1/sources/fb', body, {
      'x-hub-signature-256': `sha256=${hmac('fb-app-secret', body)}`,
    });
    assert.deepEqual([res.status, res.body], [200, '{"accepted":1}']);
    assert.equal(references[0]?.platform_lead_id, '777');
    assert.equal(references[0]?.source, 'fb');
  });

  it('Meta: 401 and nothing written for a wrong, missing or re-serialized signature', async () => {
    const body = JSON.stringify(metaLeadgenNotification('777'), null, 2);
    const attempts: Record<string, string>[] = [
      { 'x-hub-signature-256': `sha256=${hmac('another-secret', body)}` },
      {},
      {
        'x-hub-signature-256': `sha256=${hmac('fb-app-secret', JSON.stringify(JSON.parse(body)))}`,
      },
    ];
    for (const headers of attempts) {
      const res = await request('POST', '/v1/sources/fb', body, headers);
      assert.equal(res.status, 401);
      assert.match(res.body, /"code":"invalid_signature"/);
    }
    assert.equal(references.length, 0);
  });

  it('Google: the right google_key puts the mapped lead on leads.raw; a wrong one gets 401', async () => {
    const res = await request(
      'POST',
      '/v1/sources/gads',
      JSON.stringify(googleLeadWebhook('G-1', 'gads-key')),
    );
    assert.equal(res.status, 200);
    assert.equal(leads.length, 1);
    assert.equal(leads[0]?.email, 'tomas.ferreira@ferreira-lda.pt');
    assert.equal(leads[0]?.source, 'gads');
    assert.equal(leads[0]?.attributes['gcl_id'], 'EAIaIQobChMI-sample-gclid');
    assert.equal(res.body, `{"lead_ids":["${leads[0]?.lead_id}"]}`);
    const bad = await request(
      'POST',
      '/v1/sources/gads',
      JSON.stringify(googleLeadWebhook('G-2', 'guess')),
    );
    assert.equal(bad.status, 401);
    assert.equal(leads.length, 1);
  });

  it('LinkedIn: answers the challenge, checks X-LI-Signature, references the response', async () => {
    const challenge = await request('GET', '/v1/sources/li?challengeCode=abc-123');
    assert.deepEqual(JSON.parse(challenge.body), {
      challengeCode: 'abc-123',
      challengeResponse: hmac('li-secret', 'abc-123'),
    });
    const body = JSON.stringify(linkedinLeadNotification('resp-9'));
    const bad = await request('POST', '/v1/sources/li', body, {
      'x-li-signature': hmac('x', body),
    });
    assert.equal(bad.status, 401);
    assert.equal(references.length, 0);
    const ok = await request('POST', '/v1/sources/li', body, {
      'x-li-signature': hmac('li-secret', body),
    });
    assert.equal(ok.status, 200);
    assert.equal(references[0]?.platform_lead_id, 'resp-9');
  });

  it('404 for a source that is not configured', async () => {
    const res = await request('POST', '/v1/sources/nope', '{}');
    assert.deepEqual(
      [res.status, res.body],
      [
        404,
        '{"error":{"code":"unknown_source","message":"no source \\"nope\\" in the sources file"}}',
      ],
    );
  });

  it('503 with Retry-After when Kafka does not acknowledge, so the platform sends again', async () => {
    kafkaDown = true;
    try {
      const body = JSON.stringify(linkedinLeadNotification('resp-10'));
      const res = await request('POST', '/v1/sources/li', body, {
        'x-li-signature': hmac('li-secret', body),
      });
      assert.deepEqual([res.status, res.headers['retry-after']], [503, '5']);
    } finally {
      kafkaDown = false;
    }
  });

  it("429 with Retry-After once a source's own limit is spent", async () => {
    // gads allows 3 requests a minute; the Google test above spent 2.
    const body = JSON.stringify(googleLeadWebhook('G-3', 'gads-key'));
    assert.equal((await request('POST', '/v1/sources/gads', body)).status, 200);
    const limited = await request('POST', '/v1/sources/gads', body);
    assert.equal(limited.status, 429, limited.body);
    assert.ok(Number(limited.headers['retry-after']) > 0);
    // The time left in the window is what it is when the third request lands: a minute, or
    // some seconds less on a busy machine.
    assert.match(
      limited.body,
      /^\{"error":\{"code":"rate_limited","message":"over 3 requests in the window; retry in (1 minute|\d+ seconds)"\}\}$/,
    );
    // Another source's budget is its own.
    const other = await request('GET', '/v1/sources/li?challengeCode=x');
    assert.equal(other.status, 200);
  });
});

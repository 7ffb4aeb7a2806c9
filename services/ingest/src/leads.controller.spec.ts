import 'reflect-metadata';
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { AckTimeoutError } from '@lead-router/kafka';
import {
  createIngestMetrics,
  createLogger,
  createRegistry,
  createStageMetrics,
} from '@lead-router/observability';
import type { RawLead } from '@lead-router/schemas';
import { LOGGER, STAGE_METRICS } from '@lead-router/service-kit';
import { LeadRouterError } from '@lead-router/errors';
import { ApiError } from './api-error';
import { ApiKeyGuard } from './api-key.guard';
import { HttpExceptionFilter } from './http-exception.filter';
import { INGEST_CONFIG, loadIngestConfig } from './ingest.config';
import { LeadPublisher } from './lead.publisher';
import { LeadsController } from './leads.controller';
import { INGEST_METRICS } from './sources/ingest-metrics.provider';
import { DEMO_MODE_ENV } from '@lead-router/config';

/**
 * The HTTP answers of ingest, byte for byte, without Kafka: the publisher is a stand-in that
 * acknowledges, or fails the way the producer does when the broker does not answer in time.
 */
describe('ingest: error responses', () => {
  let app: NestFastifyApplication;
  let kafkaDown = false;
  const perSource = createIngestMetrics(createRegistry('ingest-spec'));
  const published: RawLead[] = [];
  const publisher = {
    publish: async (lead: RawLead) => {
      if (kafkaDown) throw new AckTimeoutError(2000);
      published.push(lead);
    },
    publishAll: async (leads: readonly RawLead[]) => {
      if (kafkaDown) throw new AckTimeoutError(2000);
      published.push(...leads);
    },
  };

  before(async () => {
    const config = loadIngestConfig({
      ...DEMO_MODE_ENV,
      INGEST_API_KEYS: 'key-web:web-form,key-partner:partner-acme',
      INGEST_BODY_LIMIT_BYTES: '4096',
    });
    const logger = createLogger('ingest-spec', 'silent');
    @Module({
      controllers: [LeadsController],
      providers: [
        { provide: INGEST_CONFIG, useValue: config },
        { provide: LeadPublisher, useValue: publisher },
        { provide: LOGGER, useValue: logger },
        { provide: STAGE_METRICS, useValue: createStageMetrics(createRegistry('ingest-spec')) },
        { provide: INGEST_METRICS, useValue: perSource },
        ApiKeyGuard,
      ],
    })
    class SpecModule {}
    app = await NestFactory.create<NestFastifyApplication>(
      SpecModule,
      new FastifyAdapter({ bodyLimit: config.bodyLimit }),
      { logger: false, abortOnError: false },
    );
    app.useGlobalFilters(new HttpExceptionFilter(logger));
    app.getHttpAdapter().getInstance().removeAllContentTypeParsers();
    await app.init();
    await app.getHttpAdapter().getInstance().ready();
  });
  after(() => app.close());

  const post = async (url: string, body: string, headers: Record<string, string> = {}) => {
    const res = await app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method: 'POST',
        url,
        payload: body,
        headers: { 'content-type': 'application/json', ...headers },
      });
    return { status: res.statusCode, body: res.body, retryAfter: res.headers['retry-after'] };
  };
  const auth = { authorization: 'Bearer key-web' };
  const lead = JSON.stringify({ email: 'ada@example.com', first_name: 'Ada' });

  it('401 without a key, and with an unknown one', async () => {
    assert.deepEqual(await post('/v1/leads', lead), {
      status: 401,
      body: '{"error":{"code":"missing_api_key","message":"send your API key as \\"Authorization: Bearer <key>\\" or \\"X-Api-Key\\""}}',
      retryAfter: undefined,
    });
    assert.deepEqual(await post('/v1/leads', lead, { 'x-api-key': 'nope' }), {
      status: 401,
      body: '{"error":{"code":"unknown_api_key","message":"the API key is not known"}}',
      retryAfter: undefined,
    });
  });

  it('403 for a key used for another source', async () => {
    assert.deepEqual(await post('/v1/leads', lead, { ...auth, 'x-lead-source': 'partner-acme' }), {
      status: 403,
      body: '{"error":{"code":"wrong_source","message":"this API key may submit leads for source \\"web-form\\" only"}}',
      retryAfter: undefined,
    });
  });

  it('400 with every field issue for a lead without contact', async () => {
    const res = await post('/v1/leads', JSON.stringify({ first_name: 'Ada' }), auth);
    assert.equal(res.status, 400);
    assert.match(
      res.body,
      /^\{"error":\{"code":"invalid_lead","message":"the lead was not accepted; see fields","fields":\[\{"field":/,
    );
  });

  it('400 for a body that is not JSON, 415 for another media type, 413 over the limit', async () => {
    assert.deepEqual(await post('/v1/leads', '{"email":', auth), {
      status: 400,
      body: '{"error":{"code":"invalid_json","message":"the body is not valid JSON"}}',
      retryAfter: undefined,
    });
    assert.deepEqual(await post('/v1/leads', 'x', { ...auth, 'content-type': 'text/plain' }), {
      status: 415,
      body: '{"error":{"code":"unsupported_media_type","message":"send application/json or application/x-www-form-urlencoded"}}',
      retryAfter: undefined,
    });
    const big = JSON.stringify({ email: 'ada@example.com', message: 'x'.repeat(5000) });
    assert.deepEqual(await post('/v1/leads', big, auth), {
      status: 413,
      body: '{"error":{"code":"body_too_large","message":"the request body is over the limit"}}',
      retryAfter: undefined,
    });
  });

  it('404 for an unknown endpoint', async () => {
    assert.deepEqual(await post('/v1/nope', lead, auth), {
      status: 404,
      body: '{"error":{"code":"not_found","message":"no such endpoint; leads go to POST /v1/leads"}}',
      retryAfter: undefined,
    });
  });

  it('202 once acknowledged; 503 with Retry-After when Kafka does not acknowledge', async () => {
    const accepted = await post('/v1/leads', lead, auth);
    assert.equal(accepted.status, 202);
    assert.match(accepted.body, /^\{"lead_id":"[0-9a-f-]{36}"\}$/);
    const counted = (await perSource.leads.get()).values.find(
      (v) => v.labels.source === 'web-form' && v.labels.topic === 'raw',
    );
    assert.ok((counted?.value ?? 0) >= 1, 'the lead is counted under its source');
    kafkaDown = true;
    try {
      assert.deepEqual(await post('/v1/leads', lead, auth), {
        status: 503,
        body: '{"error":{"code":"kafka_unavailable","message":"the lead could not be stored right now; retry with the same Idempotency-Key"}}',
        retryAfter: '5',
      });
      assert.deepEqual(
        await post('/v1/leads/batch', JSON.stringify({ leads: [JSON.parse(lead)] }), auth),
        {
          status: 503,
          body: '{"error":{"code":"kafka_unavailable","message":"the lead could not be stored right now; retry with the same Idempotency-Key"}}',
          retryAfter: '5',
        },
      );
    } finally {
      kafkaDown = false;
    }
  });

  it("records the client's IP, and ignores X-Forwarded-For with no trusted proxy", async () => {
    published.length = 0;
    const res = await post('/v1/leads', lead, { ...auth, 'x-forwarded-for': '203.0.113.7' });
    assert.equal(res.status, 202);
    // inject() connects from 127.0.0.1; a client cannot name another address.
    assert.equal(published[0]?.client_ip, '127.0.0.1');
  });
});

describe('ApiError', () => {
  it('is a LeadRouterError whose body is the response, retriable only for a 5xx', () => {
    const cause = new AckTimeoutError(2000);
    const sut = new ApiError(503, 'kafka_unavailable', 'retry later', undefined, {}, cause);
    assert.ok(sut instanceof LeadRouterError);
    assert.equal(sut.retriable, true);
    assert.equal(sut.cause, cause);
    assert.deepEqual(sut.body, { error: { code: 'kafka_unavailable', message: 'retry later' } });
    const refused = new ApiError(400, 'invalid_lead', 'see fields', [
      { field: 'email', code: 'invalid_type', message: 'email: expected a string' },
    ]);
    assert.equal(refused.retriable, false);
    assert.deepEqual(Object.keys(refused.body.error), ['code', 'message', 'fields']);
  });
});

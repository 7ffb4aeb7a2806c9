import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deliveryIdFor, verifyWebhook } from '@lead-router/delivery';
import type { WebhookDestination } from '@lead-router/routing';
import type { DeliveryTask } from '@lead-router/sink-runtime';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import { WebhookAdapter, cachedCredentials } from './webhook.adapter';
import type { PostOptions, WebhookResponse } from './webhook.client';

const SECRET = `whsec_${Buffer.from('a-destination-secret-of-32-bytes').toString('base64')}`;

function config(over: Partial<WebhookDestination> = {}): WebhookDestination {
  return {
    type: 'webhook',
    url: 'https://hooks.partner.example/leads',
    secret: { env: 'PARTNER_SECRET' },
    allow_private: false,
    retry: { delays: ['10s'] },
    batch: { max_size: 1 },
    breaker: { failures: 5, half_open_after: '30s', fallback_after: '5m' },
    ...over,
  };
}

function setup(answer: WebhookResponse, env: Record<string, string> = { PARTNER_SECRET: SECRET }) {
  const sent: {
    url: string;
    headers: Record<string, string>;
    body: string | Buffer;
    options: PostOptions;
  }[] = [];
  const sut = new WebhookAdapter({
    post: async (request, options) => {
      sent.push({ ...request, options });
      return answer;
    },
    secret: cachedCredentials(env),
    defaultTimeoutMs: 10_000,
  });
  return { sut, sent };
}

const task = (c: WebhookDestination): DeliveryTask<WebhookDestination> => {
  const lead = routedLeadFixture();
  const destination = destinationFixture({ url: 'http://stale.example/from-the-record' });
  const deliveryId = deliveryIdFor(lead.lead.lead_id, destination.id);
  return { lead, destination, config: c, attempts: 1, deliveryId };
};
const signal = new AbortController().signal;

describe('WebhookAdapter', () => {
  it('posts to the configured url, signed with the referenced secret, within its timeout', async () => {
    const { sut, sent } = setup({ status: 204 });
    const verdicts = await sut.send([task(config({ timeout: '5s' }))], signal);
    assert.deepEqual(verdicts, [
      {
        leadId: routedLeadFixture().lead.lead_id,
        verdict: { kind: 'delivered', crmId: null, created: null, httpStatus: 204 },
      },
    ]);
    const [request] = sent;
    assert.equal(request?.url, 'https://hooks.partner.example/leads');
    assert.deepEqual(request?.options, { timeoutMs: 5_000, allowPrivate: false, signal });
    // standardwebhooks itself checks the node:crypto signature.
    assert.ok(verifyWebhook(SECRET, request!.headers, request!.body).ok);
    assert.equal(
      verifyWebhook(`whsec_${'QUJD'.repeat(8)}`, request!.headers, request!.body).ok,
      false,
    );
  });

  it("sends the task's delivery id as webhook-id, the one its outcome carries, and signs with it", async () => {
    const { sut, sent } = setup({ status: 204 });
    const given = { ...task(config()), deliveryId: 'msg_0f6f7a51-6a3c-5c5e-9a4e-3b8d1d7c2e10' };
    await sut.send([given], signal);
    assert.equal(sent[0]?.headers['webhook-id'], given.deliveryId);
    assert.ok(verifyWebhook(SECRET, sent[0]!.headers, sent[0]!.body).ok);
  });

  it("sends the lead's delivery span as the request's traceparent only while tracing is on", async () => {
    const { sut, sent } = setup({ status: 204 });
    const traceparent = `00-${'1'.repeat(32)}-${'2'.repeat(16)}-01`;
    await sut.send([{ ...task(config()), trace: { traceparent, tracestate: 'v=1' } }], signal);
    await sut.send([task(config())], signal);
    assert.equal(sent[0]?.headers['traceparent'], traceparent);
    assert.equal(sent[0]?.headers['tracestate'], 'v=1');
    assert.ok(verifyWebhook(SECRET, sent[0]!.headers, sent[0]!.body).ok, 'still signed');
    assert.equal(sent[1]?.headers['traceparent'], undefined);
  });

  it("uses the sink's timeout when the destination names none, and passes allow_private", async () => {
    const { sut, sent } = setup({ status: 200 });
    await sut.send([task(config({ allow_private: true }))], signal);
    assert.equal(sent[0]?.options.timeoutMs, 10_000);
    assert.equal(sent[0]?.options.allowPrivate, true);
  });

  it('answers a refused address as permanent, with the reason', async () => {
    const refused = 'hooks.partner.example resolves to 10.0.0.7, a private address; …';
    const { sut } = setup({ status: null, error: refused, refused });
    const [v] = await sut.send([task(config())], signal);
    assert.deepEqual(v?.verdict, { kind: 'permanent', code: 'address_refused', message: refused });
  });

  it('classifies the answer with webhookVerdict: a 503 with Retry-After is a retry', async () => {
    const { sut } = setup({ status: 503, retryAfter: '7', error: 'busy' });
    const [v] = await sut.send([task(config())], signal);
    assert.deepEqual(v?.verdict, {
      kind: 'retry',
      reason: 'HTTP 503 (busy)',
      retryAfterMs: 7_000,
      httpStatus: 503,
    });
  });

  it('stops the destination, sending nothing, when its secret cannot be read or is malformed', async () => {
    const unset = setup({ status: 204 }, {});
    const [a] = await unset.sut.send([task(config())], signal);
    assert.equal(a?.verdict.kind, 'stop');
    assert.match(a?.verdict.kind === 'stop' ? a.verdict.alert : '', /PARTNER_SECRET: not set/);
    assert.equal(unset.sent.length, 0);

    const malformed = setup({ status: 204 }, { PARTNER_SECRET: 'hunter2' });
    const [b] = await malformed.sut.send([task(config())], signal);
    assert.equal(b?.verdict.kind, 'stop');
    assert.doesNotMatch(JSON.stringify(b), /hunter2/);
    assert.equal(malformed.sent.length, 0);
  });
});

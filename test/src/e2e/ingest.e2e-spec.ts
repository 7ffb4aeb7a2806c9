import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AvroCodec, createKafka } from '@lead-router/kafka';
import { freePort, startStack, type LocalStack } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import { prefixedTopics, serviceEntry, type RawLead } from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  readTopic,
  startService,
  testStack,
  uniquePrefix,
  type ServiceProcess,
} from '@lead-router/testing';
import type { Kafka } from 'kafkajs';

/**
 * Ingest against a broker of its own (the shared registry), so the broker can be taken away to
 * show that ingest answers 503, never 202, for a lead Kafka does not have.
 */
describe('ingest: the HTTP contract', () => {
  let broker: LocalStack;
  let ingest: ServiceProcess;
  let kafka: Kafka;
  let codec: AvroCodec;
  let rawTopic: string;
  const post = (path: string, body: string, headers: Record<string, string>) =>
    fetch(`${ingest.url}${path}`, { method: 'POST', body, headers });
  const json = { 'content-type': 'application/json' };
  const auth = { authorization: 'Bearer key-web' };

  before(async () => {
    const shared = await testStack();
    const dir = mkdtempSync(join(tmpdir(), 'lead-router-ingest-'));
    broker = await startStack({ dataDir: join(dir, 'stack'), registry: false });
    const prefix = uniquePrefix('ingest');
    rawTopic = prefixedTopics(prefix).topics.raw;
    const port = await freePort();
    ingest = await startService(
      'ingest',
      {
        ...DEMO_MODE_ENV,
        KAFKA_BROKERS: broker.brokers,
        SCHEMA_REGISTRY_URL: shared.registryUrl,
        TOPIC_PREFIX: prefix,
        [serviceEntry('ingest').port.env]: String(port),
        HTTP_HOST: '127.0.0.1',
        INGEST_API_KEYS: 'key-web:web-form,key-partner:partner-acme',
        INGEST_BODY_LIMIT_BYTES: '4096',
        INGEST_ACK_TIMEOUT_MS: '2000',
        LOG_LEVEL: 'error',
      },
      { port, logDir: join(dir, 'logs') },
    );
    kafka = createKafka({
      brokers: [broker.brokers],
      clientId: 'ingest-e2e',
      logger: createLogger('ingest-e2e', 'silent'),
    });
    codec = AvroCodec.connect(shared.registryUrl);
  });
  after(async () => {
    await ingest?.stop();
    await broker?.stop();
  });

  const rawLeads = () => readTopic<RawLead>(kafka, codec, rawTopic, 'RawLead');

  it('accepts a batch whole, or refuses it whole with the field of each problem', async () => {
    const leads = [
      { email: 'a@acme.com' },
      { phone: '+33 6 12 34 56 78' },
      { email: 'c@acme.com' },
    ];
    const ok = await post('/v1/leads/batch', JSON.stringify({ leads }), { ...json, ...auth });
    assert.equal(ok.status, 202);
    const { lead_ids } = (await ok.json()) as { lead_ids: string[] };
    assert.equal(lead_ids.length, 3);
    const bad = await post(
      '/v1/leads/batch',
      JSON.stringify({ leads: [{ email: 'd@acme.com' }, { email: ['x'] }] }),
      { ...json, ...auth },
    );
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { error: { fields: { field: string }[] } };
    const fields = body.error.fields.map((f) => f.field);
    assert.ok(fields.includes('leads[1].email'), fields.join());
    assert.ok(
      fields.every((f) => f.startsWith('leads[1]')),
      fields.join(),
    );
    const written = await rawLeads();
    assert.deepEqual(written.map((r) => r.key).sort(), [...lead_ids].sort());
    assert.ok(written.every((r) => r.value.source === 'web-form' && r.value.channel === 'http'));
  });

  it('gives a retried request with the same Idempotency-Key the same lead id', async () => {
    const send = () =>
      post('/v1/leads', JSON.stringify({ email: 'retry@acme.com' }), {
        ...json,
        ...auth,
        'idempotency-key': 'order-42',
      });
    const first = (await (await send()).json()) as { lead_id: string };
    const second = (await (await send()).json()) as { lead_id: string };
    assert.equal(first.lead_id, second.lead_id);
    const other = (await (
      await post('/v1/leads', JSON.stringify({ email: 'retry@acme.com' }), { ...json, ...auth })
    ).json()) as { lead_id: string };
    assert.notEqual(other.lead_id, first.lead_id);
  });

  it('takes form-encoded leads, keeping unknown fields as attributes', async () => {
    const res = await post('/v1/leads', 'email=form%40acme.com&utm_source=newsletter&country=FR', {
      'content-type': 'application/x-www-form-urlencoded',
      ...auth,
    });
    assert.equal(res.status, 202);
    const { lead_id } = (await res.json()) as { lead_id: string };
    const record = (await rawLeads()).find((r) => r.key === lead_id);
    assert.equal(record?.value.email, 'form@acme.com');
    assert.deepEqual(record?.value.attributes, { utm_source: 'newsletter' });
  });

  it('refuses without a key (401), with an unknown key (401), for another source (403)', async () => {
    const body = JSON.stringify({ email: 'x@acme.com' });
    const none = await post('/v1/leads', body, json);
    assert.equal(none.status, 401);
    assert.equal(
      ((await none.json()) as { error: { code: string } }).error.code,
      'missing_api_key',
    );
    const unknown = await post('/v1/leads', body, { ...json, 'x-api-key': 'nope' });
    assert.equal(unknown.status, 401);
    const other = await post('/v1/leads', body, {
      ...json,
      'x-api-key': 'key-partner',
      'x-lead-source': 'web-form',
    });
    assert.equal(other.status, 403);
    assert.match(
      ((await other.json()) as { error: { message: string } }).error.message,
      /partner-acme/,
    );
  });

  it('answers 413 over the body limit and 415 for other content types', async () => {
    const big = await post(
      '/v1/leads',
      JSON.stringify({ email: 'x@acme.com', message: 'x'.repeat(5000) }),
      {
        ...json,
        ...auth,
      },
    );
    assert.equal(big.status, 413);
    assert.equal(((await big.json()) as { error: { code: string } }).error.code, 'body_too_large');
    const text = await post('/v1/leads', 'email=x@acme.com', {
      'content-type': 'text/plain',
      ...auth,
    });
    assert.equal(text.status, 415);
  });

  it('answers 503 with Retry-After, never 202, while Kafka cannot take the lead', async () => {
    const before = (await rawLeads()).length;
    await broker.stop();
    const res = await post('/v1/leads', JSON.stringify({ email: 'down@acme.com' }), {
      ...json,
      ...auth,
    });
    assert.equal(res.status, 503);
    assert.equal(res.headers.get('retry-after'), '5');
    assert.equal(
      ((await res.json()) as { error: { code: string } }).error.code,
      'kafka_unavailable',
    );
    assert.ok(before > 0);
  });
});

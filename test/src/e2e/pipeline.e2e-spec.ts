import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { verifyWebhook } from '@lead-router/delivery';
import type { DeadLetter, DeliveryOutcome, RawLead } from '@lead-router/schemas';
import { rawLeadFixture, readRaw, readTopic } from '@lead-router/testing';
import { randomUUID } from 'node:crypto';
import { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { Type } from 'avsc';
import {
  inParallel,
  postLead,
  startPipeline,
  WEBHOOK_SECRET,
  type Pipeline,
  type PostResult,
} from './pipeline.fixture';

const countries = ['DE', 'US', 'FR', 'BR', 'GB', 'JP', 'CA', 'ES'];

function validLead(i: number): Record<string, string> {
  return {
    email: i % 9 === 0 ? `person${i}@gmail.com` : `person${i}@acme${i % 31}.com`,
    ...(i % 2 === 0 ? { phone: `+1 415 555 ${String(1000 + (i % 9000)).padStart(4, '0')}` } : {}),
    first_name: `Person${i}`,
    country: countries[i % countries.length]!,
    company: `Acme ${i % 31}`,
    utm_source: i % 3 === 0 ? 'linkedin' : 'google',
  };
}

interface Submission {
  kind: 'valid' | 'refused' | 'dead';
  body: string;
  headers?: Record<string, string>;
  expectStatus: number;
  expectCode?: string;
}

/** Malformed in ten different ways: five refused at the door, five that only a stage can judge. */
function malformed(variant: number, i: number): Submission {
  const json = (o: unknown) => JSON.stringify(o);
  switch (variant) {
    case 0:
      return {
        kind: 'refused',
        body: json({ email: 42 }),
        expectStatus: 400,
        expectCode: 'invalid_lead',
      };
    case 1:
      return {
        kind: 'refused',
        body: json({ first_name: 'No Contact' }),
        expectStatus: 400,
        expectCode: 'invalid_lead',
      };
    case 2:
      return {
        kind: 'refused',
        body: '{"email": "x@y.com",',
        expectStatus: 400,
        expectCode: 'invalid_json',
      };
    case 3:
      return {
        kind: 'refused',
        body: `email=person${i}@acme.com`,
        headers: { 'content-type': 'text/plain' },
        expectStatus: 415,
        expectCode: 'unsupported_media_type',
      };
    case 4:
      return {
        kind: 'refused',
        body: json({ email: `p${i}@acme.com`, utm: { nested: true } }),
        expectStatus: 400,
        expectCode: 'invalid_lead',
      };
    case 5:
      return { kind: 'dead', body: json({ email: 'not-an-email' }), expectStatus: 202 };
    case 6:
      return { kind: 'dead', body: json({ phone: '12' }), expectStatus: 202 };
    case 7:
      return { kind: 'dead', body: json({ email: 'someone@localhost' }), expectStatus: 202 };
    case 8:
      return {
        kind: 'dead',
        body: json({ email: 'jane doe@acme.com', country: 'DE' }),
        expectStatus: 202,
      };
    default:
      return { kind: 'dead', body: json({ phone: 'call me maybe' }), expectStatus: 202 };
  }
}

function submissions(count: number): Submission[] {
  return Array.from({ length: count }, (_, i) =>
    i % 20 === 0
      ? malformed((i / 20) % 10, i)
      : { kind: 'valid', body: JSON.stringify(validLead(i)), expectStatus: 202 },
  );
}

interface InboxLead {
  leadId: string;
  webhookId: string;
  body: { data: Record<string, unknown> & { decision: Record<string, unknown> } };
}

function inboxLeads(pipeline: Pipeline): InboxLead[] {
  return pipeline.inbox.deliveries().map((d) => {
    const body = d.body as InboxLead['body'];
    return { leadId: String(body.data['lead_id']), webhookId: d.headers['webhook-id'] ?? '', body };
  });
}

describe('the pipeline end to end: HTTP in, webhook out, real broker and registry', () => {
  let pipeline: Pipeline;
  before(async () => {
    pipeline = await startPipeline('e2e');
  });
  after(async () => {
    await pipeline?.close();
  });

  it('accounts for every one of 1,000 leads, 5% malformed: delivered, refused or dead-lettered', async () => {
    const plan = submissions(1000);
    const results: PostResult[] = await inParallel(plan, 16, (s, i) =>
      postLead(pipeline.ingestUrl, s.body, { 'idempotency-key': `lead-${i}`, ...s.headers }),
    );

    const accepted = new Map<string, Submission>();
    plan.forEach((s, i) => {
      const r = results[i]!;
      assert.equal(
        r.status,
        s.expectStatus,
        `submission ${i} (${s.kind}): ${JSON.stringify(r.body)}`,
      );
      if (s.kind === 'refused') {
        assert.equal(r.body.error?.code, s.expectCode, `submission ${i} error code`);
        assert.ok(r.body.error?.message, `submission ${i} has a reason`);
      } else {
        assert.ok(r.body.lead_id, `submission ${i} got a lead id`);
        accepted.set(r.body.lead_id!, s);
      }
    });
    const valid = [...accepted].filter(([, s]) => s.kind === 'valid').map(([id]) => id);
    const dead = [...accepted].filter(([, s]) => s.kind === 'dead').map(([id]) => id);
    assert.equal(valid.length, 950);
    assert.equal(dead.length, 25);
    assert.equal(plan.filter((s) => s.kind === 'refused').length, 25);

    await pipeline.waitFor(() => new Set(inboxLeads(pipeline).map((d) => d.leadId)).size >= 950, {
      timeoutMs: 120_000,
      what: '950 leads in the inbox',
    });
    const dlq = await pipeline.waitFor(
      async () => {
        const records = await readTopic<DeadLetter>(
          pipeline.kafka,
          pipeline.codec,
          pipeline.topics.dlq,
          'DeadLetter',
        );
        return records.length >= 25 ? records : undefined;
      },
      { timeoutMs: 60_000, what: '25 dead letters' },
    );

    // Reconcile: every accepted lead was delivered or dead-lettered, never both, nothing else.
    const delivered = new Set(inboxLeads(pipeline).map((d) => d.leadId));
    const deadLettered = new Set(dlq.map((r) => r.value.lead_id));
    assert.deepEqual([...delivered].sort(), [...valid].sort());
    assert.deepEqual([...deadLettered].sort(), [...dead].sort());
    assert.equal(dlq.length, 25, 'one dead letter per bad lead');

    for (const { value } of dlq) {
      assert.equal(value.stage, 'normalizer');
      assert.equal(value.error_code, 'no_contact');
      assert.match(value.error, /neither a usable email nor a usable phone/);
      assert.equal(value.topic, pipeline.topics.raw);
      // The original bytes are kept: they decode to the very record ingest wrote.
      const original = await pipeline.codec.decode<RawLead>(value.value, 'RawLead');
      assert.equal(original.lead_id, value.lead_id);
    }

    // What reached the destination: signed, with its decision, one webhook-id per lead.
    const webhookIds = new Map<string, Set<string>>();
    for (const d of pipeline.inbox.deliveries()) {
      const verified = verifyWebhook(
        WEBHOOK_SECRET,
        d.headers as Record<string, string>,
        d.rawBody,
      );
      assert.ok(verified.ok, `signature verifies: ${verified.ok ? '' : verified.error}`);
      const data = (d.body as InboxLead['body']).data;
      const decision = data.decision;
      assert.equal(decision['rule_set_version'], '2026-12-01.2');
      assert.ok(typeof decision['matched_rule'] === 'string' && decision['reason']);
      assert.match(String(data['owner_id']), /^005-/);
      const ids = webhookIds.get(String(data['lead_id'])) ?? new Set();
      ids.add(d.headers['webhook-id']!);
      webhookIds.set(String(data['lead_id']), ids);
    }
    for (const [leadId, ids] of webhookIds)
      assert.equal(ids.size, 1, `lead ${leadId} has one webhook-id`);

    const freeMail = inboxLeads(pipeline).filter((d) =>
      String(d.body.data['email']).endsWith('@gmail.com'),
    );
    assert.ok(freeMail.length > 0);
    for (const d of freeMail)
      assert.equal(d.body.data.decision['matched_rule'], 'free-mail-to-self-serve');

    const outcomes = await pipeline.waitFor(
      async () => {
        const records = await readTopic<DeliveryOutcome>(
          pipeline.kafka,
          pipeline.codec,
          pipeline.topics.delivered,
          'DeliveryOutcome',
        );
        return records.length >= 950 ? records : undefined;
      },
      { timeoutMs: 30_000, what: '950 delivery outcomes' },
    );
    assert.ok(
      outcomes.every((o) => o.value.status === 'DELIVERED' && o.value.speed_to_lead_ms >= 0),
    );

    const metrics = await (
      await fetch(`${pipeline.services.get('sink-webhook')!.url}/metrics`)
    ).text();
    const counted = metrics
      .split('\n')
      .filter((l) => l.startsWith('lead_router_speed_to_lead_seconds_count'))
      .reduce((n, l) => n + Number(l.split(' ').at(-1)), 0);
    assert.equal(counted, outcomes.length, 'speed-to-lead histogram counts every delivery');
  });

  it('writes leads.routed as Confluent-wire-format Avro that a plain Avro reader decodes', async () => {
    const raw = await readRaw(pipeline.kafka, pipeline.topics.routed);
    assert.ok(raw.length >= 950);
    const readers = new Map<number, Type>();
    for (const record of raw.slice(0, 200)) {
      const bytes = record.message.value!;
      assert.equal(bytes.readUInt8(0), 0, 'magic byte');
      const id = bytes.readInt32BE(1);
      if (!readers.has(id)) {
        // Fetch the writer schema by the id in the record, as any Confluent-compatible reader does.
        const res = await fetch(`${pipeline.registryUrl}/schemas/ids/${id}`);
        assert.equal(res.status, 200);
        const { schema } = (await res.json()) as { schema: string };
        readers.set(id, Type.forSchema(JSON.parse(schema)));
      }
      const value = readers.get(id)!.fromBuffer(bytes.subarray(5)) as {
        lead: { lead_id: string };
        decision: { matched_rule: string };
      };
      assert.equal(value.lead.lead_id, record.key);
      assert.ok(value.decision.matched_rule);
    }
  });
});

describe('a producer writing RawLeads straight to leads.raw', () => {
  let pipeline: Pipeline;
  before(async () => {
    pipeline = await startPipeline('e2e-producer');
  });
  after(async () => {
    await pipeline?.close();
  });

  it('has its leads processed exactly like leads from HTTP', async () => {
    // What any producer does: the registered schema's id, the Confluent wire format, key = lead id.
    const registry = new SchemaRegistry({ host: pipeline.registryUrl });
    const id = await registry.getLatestSchemaId(`${pipeline.topics.raw}-value`);
    const producer = pipeline.kafka.producer({ idempotent: true });
    await producer.connect();
    const leads = Array.from({ length: 20 }, (_, i) =>
      rawLeadFixture({
        lead_id: randomUUID(),
        source: 'partner-feed',
        source_lead_id: `p-${i}`,
        channel: 'kafka',
        received_at: Date.now(),
        email: `buyer${i}@globex${i}.com`,
        company: 'Globex',
        country: 'fr',
      }),
    );
    await producer.send({
      topic: pipeline.topics.raw,
      acks: -1,
      messages: await Promise.all(
        leads.map(async (lead) => ({ key: lead.lead_id, value: await registry.encode(id, lead) })),
      ),
    });
    await producer.disconnect();

    await pipeline.waitFor(() => inboxLeads(pipeline).length >= 20, {
      timeoutMs: 60_000,
      what: '20 leads',
    });
    const delivered = inboxLeads(pipeline);
    assert.deepEqual(delivered.map((d) => d.leadId).sort(), leads.map((l) => l.lead_id).sort());
    for (const d of delivered) {
      assert.equal(d.body.data['source'], 'partner-feed');
      assert.equal(d.body.data['country'], 'FR');
      assert.equal(d.body.data.decision['matched_rule'], 'emea-business');
    }
  });
});

describe('a stage stopped with SIGTERM mid-stream', () => {
  let pipeline: Pipeline;
  before(async () => {
    pipeline = await startPipeline('e2e-drain');
  });
  after(async () => {
    await pipeline?.close();
  });

  it('drains and commits before it exits: on restart nothing is processed twice', async () => {
    const leads = Array.from({ length: 600 }, (_, i) => JSON.stringify(validLead(i + 1)));
    const stopper = (async () => {
      await pipeline.waitFor(() => pipeline.inbox.deliveries().length >= 100, {
        timeoutMs: 120_000,
        what: '100 deliveries',
      });
      const exitCode = await pipeline.services.get('normalizer')!.stop();
      await pipeline.start('normalizer');
      return exitCode;
    })();
    const results = await inParallel(leads, 8, (body, i) =>
      postLead(pipeline.ingestUrl, body, { 'idempotency-key': `drain-${i}` }),
    );
    assert.equal(await stopper, 0, 'the normalizer exited cleanly on SIGTERM');
    assert.ok(results.every((r) => r.status === 202));
    await pipeline.waitFor(() => new Set(inboxLeads(pipeline).map((d) => d.leadId)).size >= 600, {
      timeoutMs: 120_000,
      what: 'all 600 leads in the inbox',
    });
    const normalized = await readRaw(pipeline.kafka, pipeline.topics.normalized);
    assert.equal(normalized.length, 600, 'each lead normalized once: offsets were committed');
  });
});

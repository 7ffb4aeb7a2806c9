import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StageRunner, type StageDefinition } from '@lead-router/kafka';
import { createRegistry, createStageMetrics } from '@lead-router/observability';
import type { DeadLetter, NormalizedLead, RawLead } from '@lead-router/schemas';
import { rawLeadFixture, readTopic, waitFor } from '@lead-router/testing';
import { kafkaFixture, stageDeps, type KafkaFixture } from './kafka-fixture';

describe('StageRunner on a real broker', () => {
  let fx: KafkaFixture;
  before(async () => {
    fx = await kafkaFixture('runner');
  });
  after(async () => {
    await fx.close();
  });

  it('hands outputs on, dead-letters bad records with their bytes, and commits after acks', async () => {
    const garbage = Buffer.from('this is not avro');
    const unknownSchema = Buffer.from([0, 0x7f, 0xff, 0xff, 0xf0, 1, 2, 3]);
    const valid = Array.from({ length: 20 }, (_, i) =>
      rawLeadFixture({
        lead_id: `lead-${i}`,
        channel: 'kafka',
        email: i === 7 ? 'reject-me@example.com' : `person${i}@example.com`,
      }),
    );
    await fx.producer.sendAll([
      ...valid.map((lead) => ({
        topic: fx.topics.raw,
        key: lead.lead_id,
        value: fx.codec.encode(fx.topics.raw, lead),
      })),
      { topic: fx.topics.raw, key: 'garbage', value: garbage },
      { topic: fx.topics.raw, key: 'unknown-schema', value: unknownSchema },
    ]);

    const groupId = `${fx.prefix}group`;
    const def: StageDefinition<RawLead> = {
      stage: 'test-stage',
      groupId,
      topic: fx.topics.raw,
      schema: 'RawLead',
      dlqTopic: fx.topics.dlq,
      concurrency: 4,
      leadIdOf: (lead) => lead.lead_id,
      handle: (lead) => {
        if (lead.email?.startsWith('reject-me')) {
          return { kind: 'dead', code: 'no_contact', error: 'rejected by the test handler' };
        }
        const out: NormalizedLead = {
          ...lead,
          normalized_at: 1,
          phone_country: null,
          issues: [],
          phone_type: null,
          phone_extension: null,
          subdivision: null,
          company_domain: null,
          company_size: null,
          industry: null,
          utm: {},
          consent: {},
          submitted_at: null,
          quality_flags: [],
        };
        return {
          kind: 'ok',
          outputs: [{ topic: fx.topics.normalized, key: lead.lead_id, value: out }],
        };
      },
    };
    const metrics = createStageMetrics(createRegistry('test'));
    const sut = new StageRunner(def, stageDeps(fx, { metrics }));
    await sut.start();
    try {
      const admin = fx.kafka.admin();
      await admin.connect();
      await waitFor(
        async () => {
          const [offsets] = await admin.fetchOffsets({ groupId, topics: [fx.topics.raw] });
          const committed = offsets!.partitions.reduce(
            (n, p) => n + Math.max(0, Number(p.offset)),
            0,
          );
          return committed === 22;
        },
        { timeoutMs: 60_000, what: 'all 22 offsets committed' },
      );
      await admin.disconnect();
    } finally {
      await sut.stop();
    }

    const normalized = await readTopic<NormalizedLead>(
      fx.kafka,
      fx.codec,
      fx.topics.normalized,
      'NormalizedLead',
    );
    assert.equal(normalized.length, 19);
    assert.deepEqual(
      normalized.map((r) => r.value.lead_id).sort(),
      valid
        .filter((_, i) => i !== 7)
        .map((l) => l.lead_id)
        .sort(),
    );
    for (const r of normalized) assert.equal(r.key, r.value.lead_id);

    const dead = await readTopic<DeadLetter>(fx.kafka, fx.codec, fx.topics.dlq, 'DeadLetter');
    const byKey = new Map(dead.map((d) => [d.key, d.value]));
    assert.equal(dead.length, 3);
    assert.deepEqual(byKey.get('garbage')?.value, garbage);
    assert.equal(byKey.get('garbage')?.error_code, 'decode_failed');
    assert.equal(byKey.get('garbage')?.stage, 'test-stage');
    assert.equal(byKey.get('garbage')?.topic, fx.topics.raw);
    assert.deepEqual(byKey.get('unknown-schema')?.value, unknownSchema);
    assert.equal(byKey.get('unknown-schema')?.error_code, 'decode_failed');
    const rejected = byKey.get('lead-7');
    assert.equal(rejected?.error_code, 'no_contact');
    assert.equal(rejected?.lead_id, 'lead-7');
    assert.equal(rejected?.attempts, 1);
    assert.deepEqual(rejected?.value, fx.codec.encode(fx.topics.raw, valid[7]));

    const text = await metrics.registry.metrics();
    assert.match(
      text,
      /lead_router_records_total\{stage="test-stage",topic="[^"]+",outcome="ok",service="test"\} 19/,
    );
    assert.match(
      text,
      /lead_router_records_total\{stage="test-stage",topic="[^"]+",outcome="dlq",service="test"\} 3/,
    );
  });
});

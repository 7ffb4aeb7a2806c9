import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  PartitionTransactions,
  StageRunner,
  readToEnd,
  type OutgoingRecord,
  type StageDefinition,
} from '@lead-router/kafka';
import { createLogger, createRegistry, createStageMetrics } from '@lead-router/observability';
import type { RawLead } from '@lead-router/schemas';
import { rawLeadFixture, readAtLeast, waitFor } from '@lead-router/testing';
import { kafkaFixture, type KafkaFixture } from './kafka-fixture';

const logger = createLogger('test', process.env['TEST_LOG_LEVEL'] === 'debug' ? 'debug' : 'silent');

describe('exactly-once stages on a real broker', () => {
  let fx: KafkaFixture;
  /** A second set of topics: the stage's outputs, as RawLead again. */
  let out: KafkaFixture;
  before(async () => {
    fx = await kafkaFixture('eos');
    out = await kafkaFixture('eos-out');
  });
  after(async () => {
    await fx.close();
    await out.close();
  });

  const raw = (n: number, from = 0): RawLead[] =>
    Array.from({ length: n }, (_, i) =>
      rawLeadFixture({ lead_id: `lead-${from + i}`, channel: 'kafka' }),
    );
  const records = (topic: string, leads: readonly RawLead[]): OutgoingRecord[] =>
    leads.map((lead) => ({ topic, key: lead.lead_id, value: fx.codec.encode(topic, lead) }));

  it('commits each chunk’s outputs with its offsets: every output once, the group at the end', async () => {
    const leads = raw(60);
    await fx.producer.sendAll(records(fx.topics.raw, leads));
    const groupId = `${fx.prefix}eos-stage`;
    const def: StageDefinition<RawLead> = {
      stage: 'eos-stage',
      groupId,
      topic: fx.topics.raw,
      schema: 'RawLead',
      dlqTopic: fx.topics.dlq,
      chunkSize: 7,
      exactlyOnce: true,
      leadIdOf: (lead) => lead.lead_id,
      // Copies each lead onto the other fixture's leads.raw.
      handle: (lead) => ({
        kind: 'ok',
        outputs: [{ topic: out.topics.raw, key: lead.lead_id, value: lead }],
      }),
    };
    const sut = new StageRunner(def, {
      kafka: fx.kafka,
      producer: fx.producer,
      // It writes the other fixture's topics, whose schemas that fixture's codec registered.
      codec: out.codec,
      metrics: createStageMetrics(createRegistry('test')),
      logger,
    });
    const admin = fx.kafka.admin();
    await admin.connect();
    await sut.start();
    try {
      await waitFor(
        async () => {
          const [offsets] = await admin.fetchOffsets({ groupId, topics: [fx.topics.raw] });
          return offsets!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0) === 60;
        },
        { timeoutMs: 60_000, what: 'all 60 offsets committed by the transactions' },
      );
    } finally {
      await sut.stop();
      await admin.disconnect();
    }
    // Each partition of the output ends in a commit marker (once Kafka has written the last ones,
    // which it does after answering the commit); reading to the end still ends.
    const ids = (await readAtLeast(fx.kafka, out.topics.raw, 60)).map((r) => r.key);
    assert.equal(ids.length, 60);
    assert.deepEqual([...new Set(ids)].sort(), leads.map((l) => l.lead_id).sort());
  });

  /** Plain bytes: nothing decodes them; the keys are what the test reads back. */
  const bytes = (n: number, from: number): OutgoingRecord[] =>
    Array.from({ length: n }, (_, i) => ({
      topic: out.topics.dlq,
      key: `lead-${from + i}`,
      value: Buffer.from(`record ${from + i}`),
    }));

  it('aborts what a dead owner left open when the next owner starts, and fences the dead one', async () => {
    // The other fixture's leads.dlq: empty, and nothing else writes to it here.
    const topic = out.topics.dlq;
    const prefix = `${fx.prefix}eos-fencing`;
    const first = new PartitionTransactions({
      kafka: fx.kafka,
      transactionalIdPrefix: prefix,
      logger,
    });
    const next = new PartitionTransactions({
      kafka: fx.kafka,
      transactionalIdPrefix: prefix,
      logger,
    });
    try {
      // The first owner writes half a transaction and "dies": it never commits.
      const producer = await first.fence(2);
      const open = await producer.transaction();
      await open.sendBatch({
        acks: -1,
        topicMessages: [
          {
            topic,
            messages: bytes(5, 100).map(({ key, value }) => ({ key, value })),
          },
        ],
      });

      // The next owner of input partition 2 starts its producer: the open transaction is aborted.
      await next.fence(2);
      assert.deepEqual(await readToEnd(fx.kafka, topic), []);

      // The old owner, back from the dead, can no longer commit anything.
      await assert.rejects(open.commit());
      await next.commit(2, bytes(5, 200));
      const visible = (await readAtLeast(fx.kafka, topic, 5)).map((r) => r.key).sort();
      assert.deepEqual(visible, ['lead-200', 'lead-201', 'lead-202', 'lead-203', 'lead-204']);
    } finally {
      await first.disconnect();
      await next.disconnect();
    }
  });
});

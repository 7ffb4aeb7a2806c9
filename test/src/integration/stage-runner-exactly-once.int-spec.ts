import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  PartitionTransactions,
  StageRunner,
  createKafka,
  groupByTopic,
  readToEnd,
  type OutgoingRecord,
  type StageDefinition,
} from '@lead-router/kafka';
import {
  MetricNames,
  createLogger,
  createRegistry,
  createStageMetrics,
} from '@lead-router/observability';
import type { RawLead } from '@lead-router/schemas';
import { logLevel } from 'kafkajs';
import { pollUntil, rawLeadFixture, readAtLeast, testStack, waitFor } from '@lead-router/testing';
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
    const metrics = createStageMetrics(createRegistry('test'));
    const sut = new StageRunner(def, {
      kafka: fx.kafka,
      producer: fx.producer,
      // It writes the other fixture's topics, whose schemas that fixture's codec registered.
      codec: out.codec,
      metrics,
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
    // Every chunk's transaction is timed in each of its three phases (chunks of 7: at least 9).
    const { values } = await metrics.transactionPhase.get();
    const count = (phase: string) =>
      values.find(
        (v) =>
          v.metricName === `${MetricNames.transactionPhase}_count` &&
          v.labels['stage'] === 'eos-stage' &&
          v.labels['phase'] === phase,
      )?.value ?? 0;
    assert.ok(count('commit') >= 9, `transactions timed: ${count('commit')}`);
    assert.equal(count('send'), count('commit'));
    assert.equal(count('offsets'), count('commit'));
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
      // The first owner writes half a transaction on each of the partition's two producers (its
      // transactions take them in turn) and "dies": it never commits.
      const open = await Promise.all(
        (await first.fence(2)).map(async (producer, i) => {
          const transaction = await producer.transaction();
          await transaction.sendBatch({
            acks: -1,
            topicMessages: [
              {
                topic,
                messages: bytes(5, 100 + 10 * i).map(({ key, value }) => ({ key, value })),
              },
            ],
          });
          return transaction;
        }),
      );

      // The next owner of input partition 2 starts its producers: both open transactions are aborted.
      await next.fence(2);
      assert.deepEqual(await readToEnd(fx.kafka, topic), []);

      // The old owner, back from the dead, can no longer commit anything on either producer.
      for (const transaction of open) await assert.rejects(transaction.commit());
      await next.commit(2, bytes(5, 200));
      const visible = (await readAtLeast(fx.kafka, topic, 5)).map((r) => r.key).sort();
      assert.deepEqual(visible, ['lead-200', 'lead-201', 'lead-202', 'lead-203', 'lead-204']);
    } finally {
      await first.disconnect();
      await next.disconnect();
    }
  });

  it("takes a partition's two producers in turn: back-to-back transactions are seldom refused, and each commits once, in order, with its offset", async () => {
    // The coordinator refuses an id's next transaction until it has written the last one's
    // markers (CONCURRENT_TRANSACTIONS); kafkajs logs that as an error, refreshes the metadata
    // and tries again after its retry pause. One producer for a partition, as before: nearly every
    // transaction that follows another at once is refused first (the reference, measured here).
    const seen: string[] = [];
    const stack = await testStack();
    const kafka = createKafka({
      brokers: stack.brokers,
      clientId: 'test-eos-turns',
      logger,
      overrides: {
        logLevel: logLevel.DEBUG,
        logCreator: () => (entry) => seen.push(entry.log.message),
      },
    });
    const refusals = () => seen.filter((line) => line.includes('another concurrent operation'));
    const addPartitions = () =>
      seen.filter((line) => line.startsWith('Request AddPartitionsToTxn'));
    const topic = out.topics.routed;
    const groupId = `${fx.prefix}eos-turns`;
    const offsets = (i: number) => ({
      groupId,
      topic: fx.topics.raw,
      partition: 0,
      offset: String(i + 1),
    });
    // One key: one output partition, so the order read back is the order committed.
    const record = (i: number): OutgoingRecord[] => [
      { topic, key: 'turns', value: Buffer.from(`${i}`) },
    ];

    const single = new PartitionTransactions({
      kafka,
      transactionalIdPrefix: `${groupId}-single`,
      logger,
    });
    const pair = new PartitionTransactions({ kafka, transactionalIdPrefix: groupId, logger });
    const admin = fx.kafka.admin();
    await admin.connect();
    try {
      const [one] = await single.fence(0);
      seen.length = 0;
      for (let i = 0; i < 30; i++) {
        const transaction = await one.transaction();
        await transaction.sendBatch({ acks: -1, topicMessages: groupByTopic(record(i)) });
        await transaction.sendOffsets({
          consumerGroupId: `${groupId}-single`,
          topics: [{ topic: fx.topics.raw, partitions: [{ partition: 0, offset: String(i + 1) }] }],
        });
        await transaction.commit();
      }
      const refusedOneProducer = refusals().length;

      await pair.fence(0);
      seen.length = 0;
      for (let i = 0; i < 30; i++) await pair.commit(0, record(100 + i), offsets(i));
      const refusedTwoProducers = refusals().length;
      assert.ok(
        refusedTwoProducers <= 3 && refusedTwoProducers < refusedOneProducer,
        `refused: ${refusedTwoProducers} of 30 with two producers, ${refusedOneProducer} of 30 with one`,
      );
      assert.equal(addPartitions().length, 30 + refusedTwoProducers);

      const values = (await readAtLeast(fx.kafka, topic, 60)).map((r) => `${r.message.value}`);
      assert.deepEqual(
        values.slice(30),
        Array.from({ length: 30 }, (_, i) => `${100 + i}`),
      );
      const [group] = await pollUntil(
        () => admin.fetchOffsets({ groupId, topics: [fx.topics.raw] }),
        ([g]) => g?.partitions.find((p) => p.partition === 0)?.offset === '30',
      );
      assert.equal(group?.partitions.find((p) => p.partition === 0)?.offset, '30');
    } finally {
      await single.disconnect();
      await pair.disconnect();
      await admin.disconnect();
    }
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  PartitionTransactions,
  ProcessTransactions,
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
import { logLevel, type ConsumerGroupMetadata } from 'kafkajs';
import { pollUntil, rawLeadFixture, readAtLeast, testStack, waitFor } from '@lead-router/testing';
import { kafkaFixture, stageDeps, type KafkaFixture } from './kafka-fixture';

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

  for (const [version, from] of [
    ['v1', 0],
    ['v2', 1000],
  ] as const) {
    it(`commits each chunk’s outputs with its offsets: every output once, the group at the end (${version})`, async () => {
      // Each version its own leads and group; the second finds the first's records on the input
      // and reads past them (its own start offsets), so its outputs are its 60.
      const leads = raw(60, from);
      const admin = fx.kafka.admin();
      await admin.connect();
      const start = await admin.fetchTopicOffsets(fx.topics.raw);
      await fx.producer.sendAll(records(fx.topics.raw, leads));
      const groupId = `${fx.prefix}eos-stage-${version}`;
      await admin.setOffsets({
        groupId,
        topic: fx.topics.raw,
        partitions: start.map(({ partition, high }) => ({ partition, offset: high })),
      });
      // Where the group must end: each partition's end offset once the leads were written.
      const ends = new Map(
        (await admin.fetchTopicOffsets(fx.topics.raw)).map(({ partition, high }) => [
          partition,
          high,
        ]),
      );
      const shares = start.map(({ partition, high }) => Number(ends.get(partition)) - Number(high));
      const def: StageDefinition<RawLead> = {
        stage: 'eos-stage',
        groupId,
        topic: fx.topics.raw,
        schema: 'RawLead',
        dlqTopic: fx.topics.dlq,
        chunkSize: 7,
        exactlyOnce: true,
        exactlyOnceVersion: version,
        leadIdOf: (lead) => lead.lead_id,
        // Copies each lead onto the other fixture's leads.raw.
        handle: (lead) => ({
          kind: 'ok',
          outputs: [{ topic: out.topics.raw, key: lead.lead_id, value: lead }],
        }),
      };
      const metrics = createStageMetrics(createRegistry('test'));
      // It writes the other fixture's topics, whose schemas that fixture's codec registered.
      const sut = new StageRunner(def, stageDeps(fx, { writes: out, metrics, logger }));
      await sut.start();
      try {
        await waitFor(
          async () => {
            const [offsets] = await admin.fetchOffsets({ groupId, topics: [fx.topics.raw] });
            return offsets!.partitions.every((p) => p.offset === ends.get(p.partition));
          },
          { timeoutMs: 60_000, what: 'all 60 offsets committed by the transactions' },
        );
      } finally {
        await sut.stop();
        await admin.disconnect();
      }
      // Every chunk's transaction is timed in each of its three phases. Chunks of 7: v1 runs one
      // transaction per partition per chunk (at least 9 for 60 records); v2 puts the chunks of the
      // partitions ready at once in one, so at least as many as the largest share has chunks.
      const { values } = await metrics.transactionPhase.get();
      const count = (phase: string) =>
        values.find(
          (v) =>
            v.metricName === `${MetricNames.transactionPhase}_count` &&
            v.labels['stage'] === 'eos-stage' &&
            v.labels['phase'] === phase,
        )?.value ?? 0;
      const least =
        version === 'v1'
          ? shares.reduce((n, share) => n + Math.ceil(share / 7), 0)
          : Math.max(...shares.map((share) => Math.ceil(share / 7)));
      assert.ok(
        count('commit') >= least,
        `transactions timed: ${count('commit')}, at least ${least}`,
      );
      assert.equal(count('send'), count('commit'));
      assert.equal(count('offsets'), count('commit'));
      // Each partition of the output ends in a commit marker (once Kafka has written the last ones,
      // which it does after answering the commit); reading to the end still ends.
      const wanted = new Set(leads.map((l) => l.lead_id));
      const ours = (all: readonly { key: string | null }[]) =>
        all.map((r) => r.key).filter((id) => wanted.has(id!));
      const ids = ours(
        await pollUntil(
          () => readToEnd(fx.kafka, out.topics.raw),
          (all) => ours(all).length >= 60,
        ),
      );
      assert.equal(ids.length, 60);
      assert.deepEqual([...new Set(ids)].sort(), [...wanted].sort());
    });
  }

  it('v2: the next owner waits for the open transaction that holds its partition’s offsets and goes on from them; a member whose generation is over commits nothing', async () => {
    const leads = raw(20, 2000);
    const groupId = `${fx.prefix}eos-v2-handover`;
    const topic = fx.topics.normalized;
    const codecTopic = fx.topics.raw;
    // The leads on partition 0 of a topic nobody else here writes, offsets 0..19.
    const input = fx.kafka.producer();
    await input.connect();
    await input.send({
      topic,
      acks: -1,
      messages: leads.map((lead) => ({
        partition: 0,
        key: lead.lead_id,
        value: fx.codec.encode(codecTopic, lead),
      })),
    });
    await input.disconnect();

    // The previous owner: a member of the group that handled leads 0..9, wrote their outputs and
    // offset 10 in a transaction, and stalled before committing it.
    const previous = fx.kafka.consumer({
      groupId,
      sessionTimeout: 6_000,
      heartbeatInterval: 1_000,
    });
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    const joined = new Promise<ConsumerGroupMetadata>((resolve) =>
      previous.on(previous.events.GROUP_JOIN, ({ payload }) =>
        resolve({ generationId: payload.generationId, memberId: payload.memberId }),
      ),
    );
    await previous.connect();
    await previous.subscribe({ topic, fromBeginning: true });
    await previous.run({ autoCommit: false, eachBatch: () => held });
    const member = await joined;
    const stalled = fx.kafka.producer({
      transactionalId: `${groupId}.stalled`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await stalled.connect();
    const transaction = await stalled.transaction();
    await transaction.send({
      topic: out.topics.raw,
      acks: -1,
      messages: leads
        .slice(0, 10)
        .map((lead) => ({ key: lead.lead_id, value: out.codec.encode(out.topics.raw, lead) })),
    });
    await transaction.sendOffsets({
      consumerGroupId: groupId,
      consumerGroupMetadata: member,
      topics: [{ topic, partitions: [{ partition: 0, offset: '10' }] }],
    });
    // It leaves the group (its transaction stays open): the group's next generation goes on
    // without it, and offsets under its generation are refused from now on.
    release();
    await previous.disconnect();
    const late = new ProcessTransactions({
      kafka: fx.kafka,
      transactionalId: `${groupId}.late`,
      logger,
    });
    await assert.rejects(
      late.commit(
        0,
        [{ topic: out.topics.dlq, key: 'lead-2900', value: Buffer.from('late') }],
        { groupId, topic, partition: 0, offset: '20' },
        member,
      ),
      (err: { type?: string }) =>
        ['UNKNOWN_MEMBER_ID', 'ILLEGAL_GENERATION'].includes(err.type ?? ''),
    );
    await late.disconnect();

    // The next owner: a v2 stage copying each lead to the other fixture's leads.raw.
    const handled: string[] = [];
    const sut = new StageRunner<RawLead>(
      {
        stage: 'eos-v2',
        groupId,
        topic,
        schema: 'RawLead',
        dlqTopic: fx.topics.dlq,
        exactlyOnce: true,
        exactlyOnceVersion: 'v2',
        instanceId: 'next',
        leadIdOf: (lead) => lead.lead_id,
        handle: (lead) => {
          handled.push(lead.lead_id);
          return {
            kind: 'ok',
            outputs: [{ topic: out.topics.raw, key: lead.lead_id, value: lead }],
          };
        },
      },
      stageDeps(fx, { writes: out, logger }),
    );
    const admin = fx.kafka.admin();
    await admin.connect();
    try {
      await sut.start();
      // It has the partition and its records, but the open transaction holds the partition's
      // offsets: it waits, handling nothing.
      await new Promise((resolve) => setTimeout(resolve, 4_000));
      assert.deepEqual(
        handled,
        [],
        'nothing handled while the previous owner’s transaction is open',
      );
      await transaction.commit();
      await waitFor(
        async () => {
          const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
          return offsets!.partitions.find((p) => p.partition === 0)?.offset === '20';
        },
        { timeoutMs: 60_000, what: 'the group at offset 20 of partition 0' },
      );
    } finally {
      await sut.stop();
      await stalled.disconnect();
      await admin.disconnect();
    }
    // The next owner handled 10..19 only; every lead's output is on leads.raw once; the late
    // member's record is not on leads.dlq.
    assert.deepEqual(
      handled,
      leads.slice(10).map((l) => l.lead_id),
    );
    const wanted = new Set(leads.map((l) => l.lead_id));
    const ids = (
      await pollUntil(
        () => readToEnd(fx.kafka, out.topics.raw),
        (all) => all.filter((r) => wanted.has(r.key!)).length >= 20,
      )
    )
      .map((r) => r.key!)
      .filter((id) => wanted.has(id));
    assert.deepEqual(ids.sort(), [...wanted].sort());
    assert.deepEqual(
      (await readToEnd(fx.kafka, out.topics.dlq)).filter((r) => r.key === 'lead-2900'),
      [],
    );
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

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  MAX_ATTRIBUTES,
  MAX_ATTRIBUTE_VALUE_LENGTH,
  KNOWN_FIELD_MAX_LENGTH,
} from '@lead-router/capture';
import {
  BatchingProducer,
  MAX_RECORD_BYTES,
  StageRunner,
  TopicLimits,
  recordBytes,
  createKafka,
  ensureTopics,
  readToEnd,
  type OutgoingRecord,
  type StageDefinition,
  type StageResult,
} from '@lead-router/kafka';
import {
  createLogger,
  createRegistry,
  createStageMetrics,
  loggerOptions,
} from '@lead-router/observability';
import { DLQ_MAX_MESSAGE_BYTES, type DeadLetter, type RawLead } from '@lead-router/schemas';
import { ConfigResourceTypes } from 'kafkajs';
import pino from 'pino';
import { rawLeadFixture, readTopic, testStack, uniquePrefix, waitFor } from '@lead-router/testing';
import { kafkaFixture, stageDeps, type KafkaFixture } from './kafka-fixture';

const logger = createLogger('test', 'silent');

type Mode = 'at least once' | 'exactly once v1' | 'exactly once v2';

/** The dead letters `stage` wrote to `fx`'s DLQ, or to `dlq` (read with that fixture's codec). */
async function lettersOf(
  fx: KafkaFixture,
  stage: string,
  dlq = fx.topics.dlq,
): Promise<DeadLetter[]> {
  return (await readTopic<DeadLetter>(fx.kafka, fx.codec, dlq, 'DeadLetter'))
    .map((d) => d.value)
    .filter((letter) => letter.stage === stage);
}

/** A topic of one partition on `fx`'s broker with `config`, its schema registered. */
async function topicOn(
  fx: KafkaFixture,
  name: string,
  valueSchema: 'RawLead' | 'DeadLetter',
  config: Record<string, string> = {},
): Promise<void> {
  const declarations = [{ name, valueSchema, partitions: 1, config }];
  await ensureTopics(fx.kafka, declarations);
  await fx.codec.register(declarations);
}

/**
 * A stage on `fx`'s leads.raw, run as `mode` says, named `<name>-<mode>` and its group that name
 * under the fixture's prefix; `handle` is given the group id (the tests key their outputs by it).
 */
function stageOn(
  fx: KafkaFixture,
  name: string,
  mode: Mode,
  dlqTopic: string,
  handle: (lead: RawLead, groupId: string) => StageResult,
): StageDefinition<RawLead> {
  const stage = `${name}-${mode.replace(/ /g, '-')}`;
  const groupId = `${fx.prefix}${stage}`;
  return {
    stage,
    groupId,
    topic: fx.topics.raw,
    schema: 'RawLead',
    dlqTopic,
    ...(mode !== 'at least once' && {
      exactlyOnce: true,
      exactlyOnceVersion: mode === 'exactly once v1' ? 'v1' : 'v2',
    }),
    leadIdOf: (lead) => lead.lead_id,
    handle: (lead) => handle(lead, groupId),
  };
}

/**
 * Runs the stage on `fx`'s leads.raw, writing with `out`'s codec (the schemas of the topics it
 * writes), until its group has committed every record there, then stops it.
 */
async function runUntilCommitted(
  def: StageDefinition<RawLead>,
  fx: KafkaFixture,
  out: KafkaFixture,
  what: string,
): Promise<void> {
  const sut = new StageRunner(def, stageDeps(fx, { writes: out }));
  await sut.start();
  try {
    await untilCommitted(def.groupId, fx, what);
  } finally {
    await sut.stop();
  }
}

/** Waits until `groupId` has committed every record on `fx`'s leads.raw. */
async function untilCommitted(groupId: string, fx: KafkaFixture, what: string): Promise<void> {
  const admin = fx.kafka.admin();
  await admin.connect();
  try {
    const ends = new Map(
      (await admin.fetchTopicOffsets(fx.topics.raw)).map((p) => [p.partition, p.high]),
    );
    await waitFor(
      async () => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [fx.topics.raw] });
        // A partition with no records has no committed offset (-1).
        return offsets!.partitions.every(
          (p) => ends.get(p.partition) === '0' || p.offset === ends.get(p.partition),
        );
      },
      { timeoutMs: 60_000, what },
    );
  } finally {
    await admin.disconnect();
  }
}

/**
 * The largest lead ingest takes: a full message and every attribute it allows at full length
 * (about 210 KB as Avro). A broker refuses a record batch over 1 MiB (`message.max.bytes`), and
 * kafkajs sends a partition's records of one request as one batch: five such leads on a partition
 * were enough for a stage's chunk to be refused again and again, its partition stuck.
 */
function largestLead(i: number): RawLead {
  const attributes: Record<string, string> = {};
  for (let a = 0; a < MAX_ATTRIBUTES; a++) {
    attributes[`field_${a}`] = `${i}-${a}-`.padEnd(MAX_ATTRIBUTE_VALUE_LENGTH, 'x');
  }
  return rawLeadFixture({
    lead_id: `large-${i}`,
    message: 'm'.repeat(KNOWN_FIELD_MAX_LENGTH.message),
    attributes,
  });
}

describe('leads as large as ingest takes, in a backlog', () => {
  let fx: KafkaFixture;
  let out: KafkaFixture;
  const leads = Array.from({ length: 40 }, (_, i) => largestLead(i));
  before(async () => {
    fx = await kafkaFixture('large');
    out = await kafkaFixture('large-out');
    // One request a lead, so the input does not depend on what the tests below check.
    for (const record of recordsOf(fx.topics.raw)) await fx.producer.sendAll([record]);
  });
  /** The leads as RawLead records (leads.raw's schema) for `topic`. */
  const recordsOf = (topic: string): OutgoingRecord[] =>
    leads.map((lead) => ({
      topic,
      key: lead.lead_id,
      value: fx.codec.encode(fx.topics.raw, lead),
    }));
  after(async () => {
    await fx.close();
    await out.close();
  });

  it('the producer sends all of them in one call, in requests the broker takes, in order', async () => {
    // The other fixture's leads.raw, which no other test writes under these keys.
    const topic = out.topics.raw;
    await fx.producer.sendAll(recordsOf(topic));
    const sent = leads.map((l) => l.lead_id);
    const records = (await readToEnd(fx.kafka, topic)).filter((r) => sent.includes(r.key!));
    assert.deepEqual(records.map((r) => r.key).sort(), [...sent].sort());
    // The keys of each partition in the order they were sent.
    for (const p of new Set(records.map((r) => r.partition))) {
      const mine = records.filter((r) => r.partition === p).map((r) => r.key!);
      assert.deepEqual(
        mine,
        [...mine].sort((a, b) => sent.indexOf(a) - sent.indexOf(b)),
      );
    }
  });

  for (const mode of ['at least once', 'exactly once v1', 'exactly once v2'] as const) {
    it(`a stage copies all of them, ${mode}: each output once, the group at the end`, async () => {
      const outTopic = out.topics.raw;
      // Each lead twice on the other fixture's leads.raw, all under one key: one partition, as
      // the router's match step writes a queue group's leads to one partition of router.assign.
      // A fetch brings up to 1 MiB a partition, so its chunk's outputs are over 2 MiB there.
      const def = stageOn(fx, 'large-copy', mode, fx.topics.dlq, (lead, groupId) => ({
        kind: 'ok',
        outputs: [1, 2].map((copy) => ({
          topic: outTopic,
          key: groupId,
          value: lead,
          headers: { 'test-copy': `${lead.lead_id}/${copy}` },
        })),
      }));
      const { groupId } = def;
      await runUntilCommitted(def, fx, out, `the ${leads.length} large leads committed`);
      const copies = (await readToEnd(fx.kafka, outTopic))
        .filter((r) => r.key === groupId)
        .map((r) => `${r.message.headers?.['test-copy']}`);
      assert.equal(copies.length, 2 * leads.length, 'each lead copied twice, once each');
      assert.equal(new Set(copies).size, 2 * leads.length);
      const dead = await readToEnd(fx.kafka, fx.topics.dlq);
      assert.equal(dead.length, 0, 'nothing dead-lettered');
    });
  }
});

/**
 * A record over the broker's `message.max.bytes` is refused however it is sent. A stage whose
 * handler makes one (a lead's output grown past 1 MiB) failed that chunk again and again, its
 * partition stuck; the input now goes to the DLQ with its own bytes and the stage reads on.
 */
describe('an output larger than the broker takes', () => {
  let fx: KafkaFixture;
  let out: KafkaFixture;
  const leads = Array.from({ length: 12 }, (_, i) =>
    rawLeadFixture({ lead_id: i === 5 ? 'grows-too-large' : `fits-${i}` }),
  );
  before(async () => {
    fx = await kafkaFixture('too-large');
    out = await kafkaFixture('too-large-out');
    await fx.producer.sendAll(
      leads.map((lead) => ({
        topic: fx.topics.raw,
        key: lead.lead_id,
        value: fx.codec.encode(fx.topics.raw, lead),
      })),
    );
  });
  after(async () => {
    await fx.close();
    await out.close();
  });

  for (const mode of ['at least once', 'exactly once v2'] as const) {
    it(`dead-letters its input with the input's bytes and reads on, ${mode}`, async () => {
      const outTopic = out.topics.raw;
      // The runner's codec is the output fixture's, which has the schemas of its topics.
      const def = stageOn(fx, 'grow', mode, out.topics.dlq, (lead, groupId) => ({
        kind: 'ok',
        outputs: [
          {
            topic: outTopic,
            key: `${groupId}/${lead.lead_id}`,
            value:
              lead.lead_id === 'grows-too-large'
                ? { ...lead, message: 'm'.repeat(MAX_RECORD_BYTES) }
                : lead,
          },
        ],
      }));
      const { groupId } = def;
      await runUntilCommitted(
        def,
        fx,
        out,
        'every lead committed, the one that grew too large too',
      );
      const copied = (await readToEnd(fx.kafka, outTopic))
        .map((r) => r.key!)
        .filter((key) => key.startsWith(`${groupId}/`));
      assert.deepEqual(
        copied.sort(),
        leads
          .filter((l) => l.lead_id !== 'grows-too-large')
          .map((l) => `${groupId}/${l.lead_id}`)
          .sort(),
      );
      const letters = await lettersOf(out, def.stage);
      assert.deepEqual(
        letters.map((letter) => letter.lead_id),
        ['grows-too-large'],
      );
      const letter = letters[0]!;
      assert.equal(letter.error_code, 'output_too_large');
      assert.equal(letter.topic, fx.topics.raw);
      assert.match(letter.error, /over the \d+ a record may have/);
      assert.deepEqual(letter.value, fx.codec.encode(fx.topics.raw, leads[5]!));
    });
  }
});

/**
 * A topic may take more or less than the broker's default 1 MiB a batch (`max.message.bytes` set
 * on it). The producer and the stage read each topic's own: a backlog of small records into a
 * topic that takes 64 KiB goes in requests it takes (at 1 MiB a request every chunk was refused
 * and the stage stuck), an output over 64 KiB there is dead-lettered, and a 1.5 MB output to a
 * topic that takes 2 MiB is written (at the default it was dead-lettered).
 */
describe('topics with a max.message.bytes of their own', () => {
  let fx: KafkaFixture;
  let small: string;
  let big: string;
  const leads = Array.from({ length: 30 }, (_, i) =>
    rawLeadFixture({
      lead_id: i === 7 ? 'over-the-small-topic' : i === 11 ? 'fits-the-big-topic' : `lead-${i}`,
      // About 5 KB a record: 30 in one chunk are over 64 KiB, far under 1 MiB.
      message: 'n'.repeat(5_000),
    }),
  );
  before(async () => {
    fx = await kafkaFixture('topic-limits');
    small = `${fx.prefix}small-batches`;
    big = `${fx.prefix}big-batches`;
    await topicOn(fx, small, 'RawLead', { 'max.message.bytes': '65536' });
    await topicOn(fx, big, 'RawLead', { 'max.message.bytes': '2097152' });
    // All in one request under one key: one partition, which the stage reads as one chunk.
    await fx.producer.sendAll(
      leads.map((lead) => ({
        topic: fx.topics.raw,
        key: 'one-partition',
        value: fx.codec.encode(fx.topics.raw, lead),
      })),
    );
  });
  after(() => fx.close());

  for (const mode of ['at least once', 'exactly once v2'] as const) {
    it(`cuts, dead-letters and writes by each topic's own limit, ${mode}`, async () => {
      const def = stageOn(fx, 'limits', mode, fx.topics.dlq, (lead, groupId) => ({
        kind: 'ok',
        outputs: [
          lead.lead_id === 'fits-the-big-topic'
            ? { topic: big, key: groupId, value: { ...lead, message: 'b'.repeat(1_500_000) } }
            : {
                topic: small,
                key: groupId,
                value:
                  lead.lead_id === 'over-the-small-topic'
                    ? { ...lead, message: 's'.repeat(100_000) }
                    : lead,
              },
        ],
      }));
      const { groupId } = def;
      await runUntilCommitted(def, fx, fx, 'every lead committed');
      const keysOn = async (topic: string) =>
        (await readTopic<RawLead>(fx.kafka, fx.codec, topic, 'RawLead'))
          .filter((r) => r.key === groupId)
          .map((r) => r.value.lead_id)
          .sort();
      assert.deepEqual(
        await keysOn(small),
        leads
          .map((l) => l.lead_id)
          .filter((id) => id !== 'over-the-small-topic' && id !== 'fits-the-big-topic')
          .sort(),
        'every other lead once on the topic that takes 64 KiB',
      );
      assert.deepEqual(await keysOn(big), ['fits-the-big-topic'], '1.5 MB where 2 MiB is taken');
      const letters = await lettersOf(fx, def.stage);
      assert.deepEqual(
        letters.map((letter) => letter.lead_id),
        ['over-the-small-topic'],
      );
      assert.equal(letters[0]!.error_code, 'output_too_large');
      assert.match(letters[0]!.error, /the topic's max\.message\.bytes, 65536,/);
    });
  }
});

/**
 * A dead letter is its input's bytes and the stage's own fields, a little larger than the input.
 * The DLQ took the broker's default 1 MiB a batch, so an input near its topic's limit could not be
 * dead-lettered: the DLQ refused its letter every time, and the partition was stuck on it. The
 * DLQ now takes 4 MiB (`DLQ_MAX_MESSAGE_BYTES`); a DLQ set to take less is named at the stage's
 * start, and its partition waits on such a record, nothing committed past it, until the DLQ is
 * raised (the stage reads its limit again a minute after the last read, with no restart).
 */
describe('a dead letter larger than its input', () => {
  /** A lead whose record on leads.raw is `bytes` long by `recordBytes` (key and framing in). */
  function leadOfRecordBytes(fx: KafkaFixture, id: string, bytes: number): RawLead {
    let lead = rawLeadFixture({ lead_id: id, message: '' });
    for (let i = 0; i < 3; i++) {
      const size = recordBytes({
        topic: fx.topics.raw,
        key: ONE_PARTITION,
        value: fx.codec.encode(fx.topics.raw, lead),
      });
      lead = { ...lead, message: 'r'.repeat((lead.message ?? '').length + bytes - size) };
    }
    return lead;
  }
  const ONE_PARTITION = 'one-partition';
  /** The stage's verdict on the large lead: refused, with an error a few KB long. */
  const refuse =
    (id: string) =>
    (lead: RawLead, groupId: string): StageResult =>
      lead.lead_id === id
        ? { kind: 'dead', code: 'test_refused', error: `refused by the test ${'e'.repeat(4_000)}` }
        : { kind: 'ok', outputs: [{ topic: `${groupId}.after`, key: groupId, value: lead }] };

  /**
   * What the stage `def` left: `refused` in `dlq` once, with its bytes as on `fx`'s leads.raw,
   * and the `after` leads behind it (`after-0`…) copied in their order.
   */
  async function assertRefusedAndAfter(
    fx: KafkaFixture,
    def: StageDefinition<RawLead>,
    dlq: string,
    refused: RawLead,
    after: number,
  ): Promise<void> {
    const letters = await lettersOf(fx, def.stage, dlq);
    assert.deepEqual(
      letters.map((l) => l.lead_id),
      [refused.lead_id],
    );
    assert.deepEqual(letters[0]!.value, fx.codec.encode(fx.topics.raw, refused));
    const copied = await readTopic<RawLead>(fx.kafka, fx.codec, `${def.groupId}.after`, 'RawLead');
    assert.deepEqual(
      copied.map((r) => r.value.lead_id),
      Array.from({ length: after }, (_, i) => `after-${i}`),
    );
  }

  let fx: KafkaFixture;
  const near: RawLead[] = [];
  before(async () => {
    fx = await kafkaFixture('dlq-room');
    // Within a few hundred bytes of what leads.raw takes (the broker's default): its dead
    // letter is over that, and under the DLQ's 4 MiB.
    near.push(leadOfRecordBytes(fx, 'near-the-limit', MAX_RECORD_BYTES - 200));
    const after = Array.from({ length: 4 }, (_, i) => rawLeadFixture({ lead_id: `after-${i}` }));
    for (const lead of [...near, ...after]) {
      await fx.producer.sendAll([
        { topic: fx.topics.raw, key: ONE_PARTITION, value: fx.codec.encode(fx.topics.raw, lead) },
      ]);
    }
  });
  after(() => fx.close());

  for (const mode of ['at least once', 'exactly once v2'] as const) {
    it(`dead-letters an input near its topic's limit, with its bytes, and reads on, ${mode}`, async () => {
      const base = stageOn(fx, 'dlq-room', mode, fx.topics.dlq, refuse('near-the-limit'));
      await topicOn(fx, `${base.groupId}.after`, 'RawLead');
      await runUntilCommitted(base, fx, fx, 'every lead committed, the one near the limit too');
      await assertRefusedAndAfter(fx, base, fx.topics.dlq, near[0]!, 4);
      const [letter] = await lettersOf(fx, base.stage);
      assert.ok(letter!.value!.length > MAX_RECORD_BYTES - 300, 'a dead letter over 1 MiB');
    });
  }

  it('with a DLQ that takes less: says so at start, waits on the record, writes it once raised', async () => {
    const small = await kafkaFixture('dlq-small');
    try {
      const dlq = `${small.prefix}small-dlq`;
      await topicOn(small, dlq, 'DeadLetter', { 'max.message.bytes': '65536' });
      const leads = [
        rawLeadFixture({ lead_id: 'over-the-dlq', message: 'o'.repeat(100_000) }),
        ...Array.from({ length: 3 }, (_, i) => rawLeadFixture({ lead_id: `after-${i}` })),
      ];
      await small.producer.sendAll(
        leads.map((lead) => ({
          topic: small.topics.raw,
          key: ONE_PARTITION,
          value: small.codec.encode(small.topics.raw, lead),
        })),
      );
      const def = stageOn(small, 'dlq-small', 'at least once', dlq, refuse('over-the-dlq'));
      await topicOn(small, `${def.groupId}.after`, 'RawLead');
      const lines: string[] = [];
      const logger = pino(loggerOptions('test', 'warn'), {
        write: (line: string) => lines.push(line),
      });
      const metrics = createStageMetrics(createRegistry('test'));
      // The stage's producer reads the DLQ's limit on a clock the test moves: a minute on, the
      // stage reads it again while the record waits.
      let skew = 0;
      const limits = new TopicLimits(small.kafka, () => Date.now() + skew);
      const producer = BatchingProducer.create(small.kafka, { limits });
      await producer.connect();
      const waiting = new StageRunner(def, stageDeps(small, { logger, metrics, producer }));
      await waiting.start();
      const admin = small.kafka.admin();
      await admin.connect();
      try {
        const refusals = async () =>
          (await metrics.errors.get()).values.find(
            (v) => v.labels['code'] === 'dead_letter_too_large',
          )?.value ?? 0;
        await waitFor(async () => (await refusals()) >= 2, {
          timeoutMs: 60_000,
          what: 'the dead letter refused twice',
        });
        assert.ok(
          lines.some((l) => l.includes(`set max.message.bytes on ${dlq} to at least`)),
          'the DLQ named at start',
        );
        assert.ok(
          lines.some((l) => l.includes('over the 65475 a record may have on')),
          "the record's error names the DLQ's limit",
        );
        assert.deepEqual(await lettersOf(small, def.stage, dlq), [], 'nothing in the DLQ yet');
        const [offsets] = await admin.fetchOffsets({
          groupId: def.groupId,
          topics: [small.topics.raw],
        });
        assert.ok(
          offsets!.partitions.every((p) => p.offset === '-1'),
          `nothing committed past the record: ${JSON.stringify(offsets!.partitions)}`,
        );
        await admin.alterConfigs({
          validateOnly: false,
          resources: [
            {
              type: ConfigResourceTypes.TOPIC,
              name: dlq,
              configEntries: [{ name: 'max.message.bytes', value: String(DLQ_MAX_MESSAGE_BYTES) }],
            },
          ],
        });
        skew += 61_000;
        await untilCommitted(def.groupId, small, 'every lead committed once the DLQ was raised');
      } finally {
        await admin.disconnect();
        await waiting.stop();
        await producer.disconnect();
      }
      await assertRefusedAndAfter(small, def, dlq, leads[0]!, 3);
    } finally {
      await small.close();
    }
  });
});

/**
 * A produce request whose answer refuses one partition's batch for good (MESSAGE_TOO_LARGE) may
 * have written the others. kafkajs gave all of the request's sequence numbers back, the next
 * batch to a written partition took them again, and the broker acknowledged it as a duplicate
 * without writing it: records acknowledged and lost. The project's kafkajs patch renews the
 * producer id instead.
 */
describe('kafkajs idempotent producer: a request refused for one partition', () => {
  it('writes what is sent after it to the partitions the refused request had written', async () => {
    const stack = await testStack();
    const kafka = createKafka({ brokers: stack.brokers, clientId: 'test-refused', logger });
    const topic = `${uniquePrefix('refused')}three`;
    await ensureTopics(kafka, [{ name: topic, valueSchema: 'RawLead', partitions: 3, config: {} }]);
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    try {
      const small = (tag: string) => [0, 1, 2].map((p) => ({ partition: p, value: `${tag}-${p}` }));
      // One request: a record over the broker's 1 MiB on partition 0, small ones on 0, 1 and 2.
      await assert.rejects(
        producer.send({
          topic,
          acks: -1,
          messages: [{ partition: 0, value: Buffer.alloc(1_200_000) }, ...small('first')],
        }),
        (err: Error & { type?: string }) => err.type === 'MESSAGE_TOO_LARGE',
      );
      await producer.send({ topic, acks: -1, messages: small('second') });
      const values = (await readToEnd(kafka, topic)).map((r) => `${r.message.value}`);
      // Partition 0's batch was refused whole; 1 and 2 may have written theirs. Every record of
      // the second request was acknowledged, so every one is in the topic.
      for (const v of small('second').map((m) => m.value)) {
        assert.ok(values.includes(v), `${v} was acknowledged, so it is in the topic: ${values}`);
      }
      assert.ok(!values.includes('first-0'));
    } finally {
      await producer.disconnect();
    }
  });
});

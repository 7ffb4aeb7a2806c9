/**
 * kafkajs against @platformatic/kafka on the same broker, in one process, alternating (issue 15,
 * point 3): is its published +40–50% produce over kafkajs there with the pipeline's records and
 * producer settings, and what does it do to consuming and to one stage hop?
 *
 * Each run, for each client (the order alternates between runs), on topics of its own:
 *  - produce: RECORDS RawLead records (Avro, the bytes leads.raw carries) to 6 partitions,
 *    idempotent, acks=all, no compression, chunks of CHUNK records, IN_FLIGHT chunks awaiting
 *    their acknowledgement at once (the runtime's sendAll);
 *  - produce-small: the same with chunks of 10, 2 in flight (ingest's single leads gathered by
 *    BatchingProducer's linger under load), over the first 15,000 records;
 *  - consume: the topic read from the beginning by a new group, offsets committed after each
 *    chunk (manual commit), until every record was seen;
 *  - hop: a consume→produce chain as a stage runs it: each chunk (at most CHUNK records of one
 *    partition) is produced to a second topic and its offset committed only after the
 *    acknowledgement, up to 3 partitions' chunks at once (partitionsConsumedConcurrently);
 *  - eos-hop: the same hop exactly once, as the router runs it: each chunk's outputs and consumed
 *    offset in one transaction, one transactional producer per input partition.
 * Figures: records/s (first record seen to last acknowledged or committed) and this process's CPU
 * µs per record (process.cpuUsage over the same span); with BENCH_BROKER_PID, the broker's too.
 *
 *   KAFKA_BROKERS=... node bench/dist/kafka-clients.bench.js
 *   (KAFKA_CLIENTS_RECORDS, KAFKA_CLIENTS_RUNS, BENCH_BROKER_PID)
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import {
  Consumer as PlatformaticConsumer,
  Producer as PlatformaticProducer,
  compatibilityPartitioner,
  type Message as PlatformaticMessage,
} from '@platformatic/kafka';
import { createLogger } from '@lead-router/observability';
import { allSchemas, type RawLead } from '@lead-router/schemas';
import { Type } from 'avsc';
import { CompressionTypes, Partitioners, type Kafka, type Producer } from 'kafkajs';
import { benchKafka } from './bench.stack';
import { rawLeads } from './lead.generator';
import { leadersAnswer } from './raw-chain.part';
import { cpuSeconds } from './proc.stats';

const RECORDS = Number(process.env['KAFKA_CLIENTS_RECORDS'] ?? 60_000);
const RUNS = Number(process.env['KAFKA_CLIENTS_RUNS'] ?? 3);
const BROKER_PID = process.env['BENCH_BROKER_PID'];
const PARTITIONS = 6;
const CHUNK = 500;
const IN_FLIGHT = 4;
const CONCURRENT_PARTITIONS = 3;
/** The small-chunk produce is slow by nature: fewer records keep its phase short. */
const SMALL_RECORDS = Math.min(RECORDS, 15_000);

type ClientName = 'kafkajs' | 'platformatic';
const PHASES = ['produce', 'produce-small', 'consume', 'hop', 'eos-hop'] as const;
type Phase = (typeof PHASES)[number];
type Figures = Omit<Sample, 'run' | 'client' | 'phase'>;

interface Sample {
  run: number;
  client: ClientName;
  phase: Phase;
  recordsPerSec: number;
  cpuUsPerRecord: number;
  brokerCpuUsPerRecord: number | undefined;
}

interface Rec {
  key: Buffer;
  value: Buffer;
}

/** The CPU of this process (and of the broker) from `start()` to `stop(records)`. */
class Span {
  private wall = 0;
  private cpu: NodeJS.CpuUsage = process.cpuUsage();
  private broker = 0;
  start(): void {
    if (this.wall !== 0) return;
    this.wall = performance.now();
    this.cpu = process.cpuUsage();
    this.broker = BROKER_PID ? cpuSeconds(Number(BROKER_PID)) : 0;
  }
  stop(records: number): Omit<Sample, 'run' | 'client' | 'phase'> {
    const secs = (performance.now() - this.wall) / 1000;
    const cpu = process.cpuUsage(this.cpu);
    return {
      recordsPerSec: records / secs,
      cpuUsPerRecord: (cpu.user + cpu.system) / records,
      brokerCpuUsPerRecord: BROKER_PID
        ? ((cpuSeconds(Number(BROKER_PID)) - this.broker) * 1e6) / records
        : undefined,
    };
  }
}

/** How `produce` sends: chunks of CHUNK, IN_FLIGHT at once (a stage's chunks, sendAll). */
interface ProduceShape {
  chunk: number;
  inFlight: number;
}
const BULK: ProduceShape = { chunk: CHUNK, inFlight: IN_FLIGHT };
/** Ingest's single leads under load: BatchingProducer's linger gathers a few, 2 in flight. */
const SMALL: ProduceShape = { chunk: 10, inFlight: 2 };

/** Hands out chunks of `records` to `inFlight` senders and resolves when all are acknowledged. */
async function produceAll(
  records: readonly Rec[],
  { chunk: size, inFlight }: ProduceShape,
  send: (chunk: Rec[]) => Promise<void>,
) {
  let next = 0;
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (next < records.length) {
        const chunk = records.slice(next, next + size);
        next += chunk.length;
        await send(chunk);
      }
    }),
  );
}

interface Client {
  produce(topic: string, records: readonly Rec[], shape: ProduceShape): Promise<Figures>;
  consume(topic: string, expected: number): Promise<Figures>;
  hop(from: string, to: string, expected: number): Promise<Figures>;
  /**
   * The hop of an exactly-once stage (the router's): each chunk's outputs and its consumed offset
   * in one transaction, on a transactional producer per input partition.
   */
  eosHop(from: string, to: string, expected: number): Promise<Figures>;
}

function kafkajsClient(kafka: Kafka): Client {
  const newProducer = () =>
    kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      // As BatchingProducer: an idempotent producer's retries are unbounded.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 3000 },
    });
  const newConsumer = (groupId: string) =>
    kafka.consumer({ groupId, maxBytesPerPartition: 1_048_576, maxWaitTimeInMs: 100 });
  const sendBatch = (producer: ReturnType<typeof newProducer>, topic: string, chunk: Rec[]) =>
    producer.sendBatch({
      acks: -1,
      compression: CompressionTypes.None,
      topicMessages: [{ topic, messages: chunk.map((r) => ({ key: r.key, value: r.value })) }],
    });

  /**
   * eachBatch in chunks of CHUNK; `onChunk` runs before the chunk's offset is committed, or
   * commits it itself (in its transaction) when `commit` is false.
   */
  async function consumeChunks(
    topic: string,
    expected: number,
    span: Span,
    onChunk: (
      chunk: Rec[],
      at: { groupId: string; partition: number; next: string },
    ) => Promise<void>,
    commit = true,
  ): Promise<void> {
    const groupId = `${topic}.${randomUUID()}`;
    const consumer = newConsumer(groupId);
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    let seen = 0;
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatchAutoResolve: false,
          partitionsConsumedConcurrently: CONCURRENT_PARTITIONS,
          eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
            span.start();
            const { messages, partition } = batch;
            for (let i = 0; i < messages.length; i += CHUNK) {
              const slice = messages.slice(i, i + CHUNK);
              const last = slice[slice.length - 1]!.offset;
              const next = (BigInt(last) + 1n).toString();
              await onChunk(
                slice.map((m) => ({ key: m.key!, value: m.value! })),
                { groupId, partition, next },
              );
              resolveOffset(last);
              if (commit) await consumer.commitOffsets([{ topic, partition, offset: next }]);
              seen += slice.length;
              await heartbeat();
            }
            if (seen >= expected) resolve();
          },
        })
        .catch(reject);
    });
    await consumer.disconnect();
  }

  return {
    async produce(topic, records, shape) {
      const producer = newProducer();
      await producer.connect();
      const span = new Span();
      span.start();
      await produceAll(records, shape, (chunk) =>
        sendBatch(producer, topic, chunk).then(() => undefined),
      );
      const sample = span.stop(records.length);
      await producer.disconnect();
      return sample;
    },
    async consume(topic, expected) {
      const span = new Span();
      await consumeChunks(topic, expected, span, () => Promise.resolve());
      return span.stop(expected);
    },
    async hop(from, to, expected) {
      const producer = newProducer();
      await producer.connect();
      const span = new Span();
      await consumeChunks(from, expected, span, async (chunk) => {
        await sendBatch(producer, to, chunk);
      });
      const sample = span.stop(expected);
      await producer.disconnect();
      return sample;
    },
    async eosHop(from, to, expected) {
      // As PartitionTransactions: one transactional producer per input partition.
      const producers = new Map<number, Promise<Producer>>();
      const producerOf = (partition: number) => {
        let producer = producers.get(partition);
        if (!producer) {
          const p = kafka.producer({
            transactionalId: `${to}.${partition}`,
            idempotent: true,
            maxInFlightRequests: 1,
            allowAutoTopicCreation: false,
            createPartitioner: Partitioners.DefaultPartitioner,
            retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 20, maxRetryTime: 3000 },
          });
          producers.set(partition, (producer = p.connect().then(() => p)));
        }
        return producer;
      };
      const span = new Span();
      await consumeChunks(
        from,
        expected,
        span,
        async (chunk, { groupId, partition, next }) => {
          const transaction = await (await producerOf(partition)).transaction();
          await transaction.sendBatch({
            acks: -1,
            topicMessages: [
              { topic: to, messages: chunk.map((r) => ({ key: r.key, value: r.value })) },
            ],
          });
          await transaction.sendOffsets({
            consumerGroupId: groupId,
            topics: [{ topic: from, partitions: [{ partition, offset: next }] }],
          });
          await transaction.commit();
        },
        false,
      );
      const sample = span.stop(expected);
      await Promise.all([...producers.values()].map(async (p) => (await p).disconnect()));
      return sample;
    },
  };
}

function platformaticClient(brokers: string[]): Client {
  const newProducer = () =>
    new PlatformaticProducer({
      clientId: `kafka-clients-bench-${randomUUID()}`,
      bootstrapBrokers: brokers,
      idempotent: true,
      acks: -1,
      // Java's murmur2 (kafkajs' DefaultPartitioner); its `defaultPartitioner` differs.
      partitioner: compatibilityPartitioner,
      autocreateTopics: false,
    });
  const send = (producer: PlatformaticProducer, topic: string, chunk: Rec[]) =>
    producer.send({ messages: chunk.map((r) => ({ topic, key: r.key, value: r.value })) });

  /**
   * The message stream, gathered per partition into chunks of at most CHUNK records; a chunk
   * leaves when full or when the stream has had nothing more for it within 5 ms, at most
   * CONCURRENT_PARTITIONS chunks at once and one per partition, each committed after `onChunk`
   * (or by `onChunk` itself, in its transaction, when `commit` is false).
   */
  async function consumeChunks(
    topic: string,
    expected: number,
    span: Span,
    onChunk: (
      chunk: Rec[],
      at: { consumer: PlatformaticConsumer; partition: number; last: PlatformaticMessage },
    ) => Promise<void>,
    commit = true,
  ): Promise<void> {
    const consumer = new PlatformaticConsumer({
      clientId: `kafka-clients-bench-${randomUUID()}`,
      groupId: `${topic}.${randomUUID()}`,
      bootstrapBrokers: brokers,
      maxBytesPerPartition: 1_048_576,
      maxWaitTime: 100,
    });
    const stream = await consumer.consume({
      topics: [topic],
      mode: 'earliest',
      autocommit: false,
    });
    const waiting = new Map<number, PlatformaticMessage[]>();
    const busy = new Set<number>();
    let timer: NodeJS.Timeout | undefined;
    let seen = 0;
    let failed: unknown;
    const done = new Promise<void>((resolve, reject) => {
      const pump = (force: boolean): void => {
        for (const [partition, messages] of waiting) {
          if (busy.size >= CONCURRENT_PARTITIONS) break;
          if (busy.has(partition) || (!force && messages.length < CHUNK)) continue;
          const chunk = messages.splice(0, CHUNK);
          if (messages.length === 0) waiting.delete(partition);
          busy.add(partition);
          const last = chunk[chunk.length - 1]!;
          onChunk(
            chunk.map((m) => ({ key: m.key, value: m.value })),
            { consumer, partition, last },
          )
            .then(() =>
              commit
                ? consumer.commit({
                    // The next offset to read, as Kafka commits it (message.commit() adds the 1n too).
                    offsets: [
                      { topic, partition, offset: last.offset + 1n, leaderEpoch: last.leaderEpoch },
                    ],
                  })
                : undefined,
            )
            .then(() => {
              busy.delete(partition);
              seen += chunk.length;
              if (seen >= expected) resolve();
              if (stream.isPaused() && busy.size < CONCURRENT_PARTITIONS) stream.resume();
              pump(true);
            })
            .catch((err: unknown) => {
              failed = err;
              reject(err);
            });
        }
        if (busy.size >= CONCURRENT_PARTITIONS && !stream.isPaused()) stream.pause();
      };
      stream.on('data', (message: PlatformaticMessage) => {
        span.start();
        let messages = waiting.get(message.partition);
        if (!messages) waiting.set(message.partition, (messages = []));
        messages.push(message);
        pump(false);
        clearTimeout(timer);
        timer = setTimeout(() => pump(true), 5);
      });
      stream.on('error', reject);
    });
    await done;
    clearTimeout(timer);
    assert.equal(failed, undefined);
    await stream.close();
    await consumer.close();
  }

  return {
    async produce(topic, records, shape) {
      const producer = newProducer();
      const span = new Span();
      span.start();
      await produceAll(records, shape, (chunk) =>
        send(producer, topic, chunk).then(() => undefined),
      );
      const sample = span.stop(records.length);
      await producer.close();
      return sample;
    },
    async consume(topic, expected) {
      const span = new Span();
      await consumeChunks(topic, expected, span, () => Promise.resolve());
      return span.stop(expected);
    },
    async hop(from, to, expected) {
      const producer = newProducer();
      const span = new Span();
      await consumeChunks(from, expected, span, async (chunk) => {
        await send(producer, to, chunk);
      });
      const sample = span.stop(expected);
      await producer.close();
      return sample;
    },
    async eosHop(from, to, expected) {
      const producers = new Map<number, PlatformaticProducer>();
      const producerOf = (partition: number) => {
        let producer = producers.get(partition);
        if (!producer) {
          producer = new PlatformaticProducer({
            clientId: `kafka-clients-bench-${randomUUID()}`,
            bootstrapBrokers: brokers,
            idempotent: true,
            transactionalId: `${to}.${partition}`,
            partitioner: compatibilityPartitioner,
            autocreateTopics: false,
          });
          producers.set(partition, producer);
        }
        return producer;
      };
      const span = new Span();
      await consumeChunks(
        from,
        expected,
        span,
        async (chunk, { consumer, partition, last }) => {
          // Its transactions take consumed offsets only as its own consumer's messages.
          const transaction = await producerOf(partition).beginTransaction();
          await transaction.send({
            messages: chunk.map((r) => ({ topic: to, key: r.key, value: r.value })),
          });
          await transaction.addConsumer(consumer);
          await transaction.addOffset(last);
          await transaction.commit();
        },
        false,
      );
      const sample = span.stop(expected);
      await Promise.all([...producers.values()].map((p) => p.close()));
      return sample;
    },
  };
}

function records(count: number): { records: Rec[]; meanBytes: number } {
  const type = Type.forSchema(allSchemas.RawLead as never);
  const next = rawLeads(15, 'web');
  const out: Rec[] = [];
  let bytes = 0;
  for (let i = 0; i < count; i++) {
    const lead: RawLead = next();
    const value = type.toBuffer(lead);
    bytes += value.length;
    out.push({ key: Buffer.from(lead.lead_id), value });
  }
  return { records: out, meanBytes: bytes / count };
}

async function createTopics(kafka: Kafka, topics: readonly string[]): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    await admin.createTopics({
      waitForLeaders: true,
      topics: topics.map((topic) => ({ topic, numPartitions: PARTITIONS })),
    });
    // The metadata names the leaders before they take requests: a produce sent at once was
    // answered NOT_LEADER_OR_FOLLOWER, and kafkajs' idempotent producer, retrying that batch while
    // the next one to the partition was in flight, failed with OUT_OF_ORDER_SEQUENCE_NUMBER.
    await leadersAnswer(admin, topics, 30_000);
  } finally {
    await admin.disconnect();
  }
}

/** NaN without samples (every run of the phase failed). */
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  if (s.length === 0) return NaN;
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};

async function main(): Promise<void> {
  const brokers = (process.env['KAFKA_BROKERS'] ?? '').split(',').filter((b) => b !== '');
  assert.ok(brokers.length > 0, 'KAFKA_BROKERS names the broker to measure against');
  const logger = createLogger('kafka-clients-bench', 'warn');
  const kafka = benchKafka(brokers.join(','), 'kafka-clients-bench', logger);
  const clients: Record<ClientName, Client> = {
    kafkajs: kafkajsClient(kafka),
    platformatic: platformaticClient(brokers),
  };
  const { records: recs, meanBytes } = records(RECORDS);
  const say = (msg: string) => process.stderr.write(`[kafka-clients] ${msg}\n`);
  say(`${RECORDS} RawLead records, mean ${meanBytes.toFixed(0)} B, ${PARTITIONS} partitions`);
  const samples: Sample[] = [];
  const failures: { run: number; client: ClientName; phase: Phase; error: string }[] = [];
  for (let run = 1; run <= RUNS; run++) {
    const order: ClientName[] =
      run % 2 === 1 ? ['kafkajs', 'platformatic'] : ['platformatic', 'kafkajs'];
    for (const client of order) {
      const base = `bench.clients.${client}.${randomUUID().slice(0, 8)}`;
      const [input, output, eosOutput, small] = ['in', 'out', 'eos-out', 'small'].map(
        (t) => `${base}.${t}`,
      ) as [string, string, string, string];
      await createTopics(kafka, [input, output, eosOutput, small]);
      const c = clients[client];
      const measures: Record<Phase, () => Promise<Figures>> = {
        produce: () => c.produce(input, recs, BULK),
        'produce-small': () => c.produce(small, recs.slice(0, SMALL_RECORDS), SMALL),
        consume: () => c.consume(input, RECORDS),
        hop: () => c.hop(input, output, RECORDS),
        'eos-hop': () => c.eosHop(input, eosOutput, RECORDS),
      };
      for (const [phase, measure] of Object.entries(measures) as [
        Phase,
        () => Promise<Figures>,
      ][]) {
        let figures: Figures;
        try {
          figures = await measure();
        } catch (err) {
          // A phase that fails is reported, not retried: how often each client fails is a figure
          // too. Without its input (a failed produce) the phases that read it are skipped.
          const error = err instanceof Error ? err.message : String(err);
          failures.push({ run, client, phase, error });
          say(`run ${run} ${client} ${phase}: FAILED (${error})`);
          if (phase === 'produce') break;
          continue;
        }
        const sample = { run, client, phase, ...figures };
        samples.push(sample);
        say(
          `run ${run} ${client} ${phase}: ${sample.recordsPerSec.toFixed(0)} rec/s, ` +
            `${sample.cpuUsPerRecord.toFixed(1)} µs CPU/rec` +
            (sample.brokerCpuUsPerRecord !== undefined
              ? `, broker ${sample.brokerCpuUsPerRecord.toFixed(1)} µs/rec`
              : ''),
        );
      }
    }
  }
  const summary = PHASES.map((phase) => {
    const of = (client: ClientName, pick: (s: Sample) => number | undefined) =>
      samples
        .filter((s) => s.phase === phase && s.client === client)
        .map(pick)
        .filter((x): x is number => x !== undefined);
    const rate = (client: ClientName) => of(client, (s) => s.recordsPerSec);
    const cpu = (client: ClientName) => of(client, (s) => s.cpuUsPerRecord);
    return {
      phase,
      kafkajsRecordsPerSec: rate('kafkajs'),
      platformaticRecordsPerSec: rate('platformatic'),
      rateRatioMedian: median(rate('platformatic')) / median(rate('kafkajs')),
      kafkajsCpuUsPerRecord: cpu('kafkajs'),
      platformaticCpuUsPerRecord: cpu('platformatic'),
      cpuRatioMedian: median(cpu('platformatic')) / median(cpu('kafkajs')),
      brokerCpuUsPerRecord: {
        kafkajs: of('kafkajs', (s) => s.brokerCpuUsPerRecord),
        platformatic: of('platformatic', (s) => s.brokerCpuUsPerRecord),
      },
    };
  });
  process.stdout.write(
    `${JSON.stringify({ records: RECORDS, meanBytes, partitions: PARTITIONS, chunk: CHUNK, inFlight: IN_FLIGHT, summary, failures, samples }, null, 2)}\n`,
  );
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

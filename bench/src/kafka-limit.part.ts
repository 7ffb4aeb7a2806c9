import { BatchingProducer, type OutgoingRecord } from '@lead-router/kafka';
import { allSchemas, type RawLead, type RoutedLead } from '@lead-router/schemas';
import { Type } from 'avsc';
import type { Kafka } from 'kafkajs';
import { rawLeads } from './lead.generator';
import { averageValueBytes, leadersAnswer, recordOf, type SampleRecord } from './raw-chain.part';

export interface KafkaLimit {
  records: number;
  /** average value bytes of the records produced */
  recordBytes: number;
  /** where the records came from: a pipeline topic's sample, or generated RawLeads */
  recordSource: string;
  partitions: number;
  produceMsgsPerSec: number;
  consumeMsgsPerSec: number;
}

/**
 * Kafka's own limit on this machine, through kafkajs with the pipeline's producer settings
 * (idempotent, acks=all, one sendBatch per chunk of `chunk` records, a few in flight) and an
 * `eachBatch` consumer that resolves and commits each batch, doing nothing else.
 *
 * The records are the pipeline's: `pool` (`sampleTopicRecords` of a pipeline topic: keys, values
 * and headers, cycled), else RawLeads of the bench's generator, Avro-encoded and framed as the
 * registry codec frames them (a magic byte and a 4-byte schema id), keyed by lead id.
 */
export async function kafkaLimit(
  kafka: Kafka,
  topic: string,
  records: number,
  sample?: readonly SampleRecord[],
  partitions = 6,
): Promise<KafkaLimit> {
  if (sample?.length === 0) throw new Error('kafkaLimit: the sample has no records');
  const pool = sample ?? generatedRawLeads(2_000);
  const admin = kafka.admin();
  await admin.connect();
  await admin.createTopics({
    waitForLeaders: true,
    topics: [{ topic, numPartitions: partitions }],
  });
  await leadersAnswer(admin, [topic]);
  await admin.disconnect();

  const producer = BatchingProducer.create(kafka, { ackTimeoutMs: 60_000 });
  await producer.connect();
  const chunk = 500;
  const inFlight = 4;
  let sent = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: inFlight }, async () => {
      while (sent < records) {
        const from = sent;
        const to = Math.min(records, sent + chunk);
        sent = to;
        const batch: OutgoingRecord[] = [];
        for (let i = from; i < to; i++) batch.push(recordOf(topic, pool, i));
        await producer.sendAll(batch);
      }
    }),
  );
  const produceSecs = (performance.now() - t0) / 1000;
  await producer.disconnect();

  const consumer = kafka.consumer({
    groupId: `${topic}.consumer`,
    maxBytesPerPartition: 1_048_576,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let seen = 0;
  let started = 0;
  const done = new Promise<void>((resolve) => {
    void consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 3,
      eachBatch: async ({ batch, resolveOffset, heartbeat }) => {
        if (started === 0) started = performance.now();
        const last = batch.messages[batch.messages.length - 1];
        if (!last) return;
        seen += batch.messages.length;
        resolveOffset(last.offset);
        await consumer.commitOffsets([
          { topic, partition: batch.partition, offset: (BigInt(last.offset) + 1n).toString() },
        ]);
        await heartbeat();
        if (seen >= records) resolve();
      },
    });
  });
  await done;
  const consumeSecs = (performance.now() - started) / 1000;
  await consumer.disconnect();
  return {
    records,
    recordBytes: averageValueBytes(pool),
    recordSource: sample ? 'pipeline records' : 'generated RawLeads',
    partitions,
    produceMsgsPerSec: records / produceSecs,
    consumeMsgsPerSec: records / consumeSecs,
  };
}

/** RawLeads of the bench's generator as they lie on leads.raw: Confluent-framed Avro, keyed by lead id. */
export function generatedRawLeads(n: number): SampleRecord[] {
  const type = Type.forSchema(allSchemas.RawLead as never);
  const next = rawLeads(41, 'bench-kafka');
  return Array.from({ length: n }, () => {
    const lead = next();
    const body = type.toBuffer(lead);
    const value = Buffer.alloc(5 + body.length);
    value.writeInt32BE(1, 1);
    body.copy(value, 5);
    return { key: Buffer.from(lead.lead_id), value, headers: {} };
  });
}

export interface AvroFigures {
  rawLeadBytes: number;
  routedLeadBytes: number;
  rawEncodePerSec: number;
  rawDecodePerSec: number;
  routedEncodePerSec: number;
  routedDecodePerSec: number;
  /** with avsc's isValid before toBuffer, as AvroCodec.encode does */
  routedValidateEncodePerSec: number;
}

/** Plain avsc encode and decode of realistic records (one core, this process). */
export function avroFigures(raw: RawLead, routed: RoutedLead, seconds = 1.5): AvroFigures {
  const rawType = Type.forSchema(allSchemas.RawLead as never);
  const routedType = Type.forSchema(allSchemas.RoutedLead as never);
  const rawBuf = rawType.toBuffer(raw);
  const routedBuf = routedType.toBuffer(routed);
  return {
    rawLeadBytes: rawBuf.length,
    routedLeadBytes: routedBuf.length,
    rawEncodePerSec: rate(() => rawType.toBuffer(raw), seconds),
    rawDecodePerSec: rate(() => rawType.fromBuffer(rawBuf), seconds),
    routedEncodePerSec: rate(() => routedType.toBuffer(routed), seconds),
    routedDecodePerSec: rate(() => routedType.fromBuffer(routedBuf), seconds),
    routedValidateEncodePerSec: rate(() => {
      routedType.isValid(routed);
      routedType.toBuffer(routed);
    }, seconds),
  };
}

function rate(fn: () => unknown, seconds: number): number {
  for (let i = 0; i < 2000; i++) fn();
  let n = 0;
  const t0 = performance.now();
  const until = t0 + seconds * 1000;
  while (performance.now() < until) {
    for (let i = 0; i < 200; i++) fn();
    n += 200;
  }
  return n / ((performance.now() - t0) / 1000);
}

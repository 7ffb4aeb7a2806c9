import { type AvroCodec, readToEnd, type TopicRecord } from '@lead-router/kafka';
import type { SchemaName } from '@lead-router/schemas';
import type { Kafka } from 'kafkajs';
import { pollUntil } from './poll';

export interface ReadRecord<T> extends TopicRecord {
  value: T;
}

/** A whole topic, decoded: what a user inspecting the topic would see. */
export async function readTopic<T>(
  kafka: Kafka,
  codec: AvroCodec,
  topic: string,
  schema: SchemaName,
): Promise<ReadRecord<T>[]> {
  const out: ReadRecord<T>[] = [];
  for (const r of await readToEnd(kafka, topic)) {
    out.push({ ...r, value: await codec.decode<T>(r.message.value, schema) });
  }
  return out;
}

/**
 * Reads a whole topic again until it holds at least `count` records, or the deadline passes, and
 * returns the last read for the caller to assert on. A transaction whose commit a test has just
 * seen answered is not readable at once: Kafka writes its commit markers after it answers EndTxn,
 * and a read_committed reader, as `readToEnd` is, sees the records only after them.
 */
export function readAtLeast(
  kafka: Kafka,
  topic: string,
  count: number,
  timeoutMs = 30_000,
): Promise<TopicRecord[]> {
  return pollUntil(
    () => readToEnd(kafka, topic),
    (records) => records.length >= count,
    timeoutMs,
  );
}

export { readToEnd as readRaw };

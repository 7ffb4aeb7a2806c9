import { type AvroCodec, readToEnd, type TopicRecord } from '@lead-router/kafka';
import type { SchemaName } from '@lead-router/schemas';
import type { Kafka } from 'kafkajs';

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

export { readToEnd as readRaw };

import { AvroCodec } from '@lead-router/kafka';
import type { SchemaName } from '@lead-router/schemas';
import type { Kafka, KafkaMessage } from 'kafkajs';

export interface ReadRecord<T> {
  partition: number;
  offset: string;
  key: string | null;
  raw: KafkaMessage;
  value: T;
}

/**
 * Reads a whole topic, from the earliest offset to the high watermark of each partition at the
 * time of the call, with a throwaway consumer group: what a user inspecting the topic would see.
 */
export async function readTopic<T>(
  kafka: Kafka,
  codec: AvroCodec,
  topic: string,
  schema: SchemaName,
): Promise<ReadRecord<T>[]> {
  const raw = await readRaw(kafka, topic);
  const out: ReadRecord<T>[] = [];
  for (const r of raw) {
    out.push({ ...r, value: await codec.decode<T>(r.raw.value, schema) });
  }
  return out;
}

export async function readRaw(
  kafka: Kafka,
  topic: string,
): Promise<Omit<ReadRecord<never>, 'value'>[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic);
  await admin.disconnect();
  const remaining = new Map(
    offsets
      .filter((o) => BigInt(o.high) > BigInt(o.low))
      .map((o) => [o.partition, BigInt(o.high) - 1n]),
  );
  const out: Omit<ReadRecord<never>, 'value'>[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({ groupId: `reader-${Date.now()}-${Math.random()}` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await new Promise<void>((resolve, reject) => {
    consumer
      .run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const m of batch.messages) {
            const last = remaining.get(batch.partition);
            if (last === undefined || BigInt(m.offset) > last) continue;
            out.push({
              partition: batch.partition,
              offset: m.offset,
              key: m.key?.toString() ?? null,
              raw: m,
            });
            if (BigInt(m.offset) === last) remaining.delete(batch.partition);
          }
          if (remaining.size === 0) resolve();
        },
      })
      .catch(reject);
  });
  await consumer.disconnect();
  return out;
}

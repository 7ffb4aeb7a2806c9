import type { Kafka, KafkaMessage } from 'kafkajs';

export interface TopicRecord {
  partition: number;
  offset: string;
  key: string | null;
  message: KafkaMessage;
}

/**
 * Reads a whole topic from its earliest offsets up to the high watermarks of the moment of the
 * call, with a throwaway consumer group that commits nothing: a snapshot read, as a stage does
 * to restore state from a changelog, or a user does to inspect a topic. Not for topics written
 * transactionally (their last offset can be a commit marker no consumer ever sees).
 */
export async function readToEnd(kafka: Kafka, topic: string): Promise<TopicRecord[]> {
  const admin = kafka.admin();
  await admin.connect();
  const offsets = await admin.fetchTopicOffsets(topic).finally(() => admin.disconnect());
  const remaining = new Map(
    offsets
      .filter((o) => BigInt(o.high) > BigInt(o.low))
      .map((o) => [o.partition, BigInt(o.high) - 1n]),
  );
  const out: TopicRecord[] = [];
  if (remaining.size === 0) return out;
  const consumer = kafka.consumer({
    groupId: `lead-router.reader.${process.pid}.${Date.now()}.${Math.random().toString(36).slice(2)}`,
    maxWaitTimeInMs: 50,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const last = remaining.get(batch.partition);
            if (last === undefined) return;
            for (const message of batch.messages) {
              if (BigInt(message.offset) > last) break;
              out.push({
                partition: batch.partition,
                offset: message.offset,
                key: message.key?.toString() ?? null,
                message,
              });
            }
            if (BigInt(batch.lastOffset()) >= last) remaining.delete(batch.partition);
            if (remaining.size === 0) resolve();
          },
        })
        .catch(reject);
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

import { randomBytes } from 'node:crypto';
import type { Kafka, KafkaMessage } from 'kafkajs';
import { askWhileRetriable, topicOffsets } from './topic.admin';

/** Offsets [start, end) of one partition. */
export interface PartitionRange {
  partition: number;
  start: string;
  end: string;
}

export interface RangeRecord {
  partition: number;
  message: KafkaMessage;
}

/**
 * Each partition from its earliest offset to its last stable offset at the time of the call:
 * kafkajs lists offsets read_committed, so a transaction still open, or one whose commit markers
 * Kafka is still writing, ends the range before its first record.
 */
export async function wholeTopicRanges(kafka: Kafka, topic: string): Promise<PartitionRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await topicOffsets(admin, topic);
    return offsets.map((o) => ({ partition: o.partition, start: o.low, end: o.high }));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Each partition from the first record at or after `from` to the first at or after `to` (or the
 * last stable offset). Kafka finds these offsets from its time index, so nothing earlier is read.
 */
export async function timeWindowRanges(
  kafka: Kafka,
  topic: string,
  from: number,
  to?: number,
): Promise<PartitionRange[]> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const starts = await askWhileRetriable(() => admin.fetchTopicOffsetsByTimestamp(topic, from));
    const ends =
      to === undefined
        ? (await topicOffsets(admin, topic)).map((o) => ({
            partition: o.partition,
            offset: o.high,
          }))
        : await askWhileRetriable(() => admin.fetchTopicOffsetsByTimestamp(topic, to));
    return starts.map((s) => ({
      partition: s.partition,
      start: s.offset,
      end: ends.find((e) => e.partition === s.partition)?.offset ?? s.offset,
    }));
  } finally {
    await admin.disconnect();
  }
}

/**
 * Reads the given offset ranges with a throwaway consumer group that seeks to each start and
 * never commits, so no real group's position moves. Resolves when every range is read.
 */
export async function readRanges(
  kafka: Kafka,
  topic: string,
  ranges: readonly PartitionRange[],
  groupPrefix = '',
): Promise<RangeRecord[]> {
  const pending = new Map(
    ranges
      .filter((r) => BigInt(r.end) > BigInt(r.start))
      .map((r) => [r.partition, { start: BigInt(r.start), last: BigInt(r.end) - 1n }]),
  );
  const out: RangeRecord[] = [];
  if (pending.size === 0) return out;
  const consumer = kafka.consumer({
    groupId: `${groupPrefix}lead-router.reader.${randomBytes(6).toString('hex')}`,
    allowAutoTopicCreation: false,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  try {
    await consumer.subscribe({ topic, fromBeginning: true });
    await new Promise<void>((resolve, reject) => {
      // A range is read once a batch ends at or past its last offset. The batch's last offset,
      // not its last message: compaction leaves gaps, and a transaction's commit marker takes an
      // offset no message has. kafkajs hands a batch of nothing but markers (or aborted records)
      // to no eachBatch, only to this event.
      consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
        const range = pending.get(payload.partition);
        if (range === undefined || payload.lastOffset === null) return;
        if (BigInt(payload.lastOffset) >= range.last) pending.delete(payload.partition);
        if (pending.size === 0) resolve();
      });
      consumer
        .run({
          autoCommit: false,
          eachBatch: async ({ batch }) => {
            const range = pending.get(batch.partition);
            if (range === undefined) return;
            for (const message of batch.messages) {
              const offset = BigInt(message.offset);
              if (offset < range.start) continue;
              if (offset > range.last) break;
              out.push({ partition: batch.partition, message });
            }
          },
        })
        .catch(reject);
      for (const r of ranges) consumer.seek({ topic, partition: r.partition, offset: r.start });
    });
  } finally {
    await consumer.disconnect();
  }
  return out;
}

export interface TopicRecord extends RangeRecord {
  offset: string;
  key: string | null;
}

/**
 * A whole topic, from its earliest offsets to the last stable offsets of the moment of the call
 * (see `wholeTopicRanges`): a snapshot of what a read_committed reader sees, as a stage reads to
 * restore state from a changelog, or a user to inspect a topic. Kafka answers a producer's
 * commit (EndTxn) before it has written the transaction's markers, so a transaction committed
 * just before the call may not be in the snapshot yet.
 */
export async function readToEnd(kafka: Kafka, topic: string): Promise<TopicRecord[]> {
  const records = await readRanges(kafka, topic, await wholeTopicRanges(kafka, topic));
  return records.map((r) => ({
    ...r,
    offset: r.message.offset,
    key: r.message.key?.toString() ?? null,
  }));
}

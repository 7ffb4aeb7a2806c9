import type { OutgoingRecord } from './batching.producer';
import { DEFAULT_MAX_MESSAGE_BYTES, RECORD_BATCH_HEADER_BYTES } from './topic.limits';

/**
 * The most record bytes one produce request carries (Kafka's Java producer bounds a request the
 * same way, `max.request.size`, 1 MiB by default). kafkajs sends all the records of one
 * `sendBatch` for a partition as one record batch, and a broker refuses a batch over its
 * `message.max.bytes` (1 MiB by default) with MESSAGE_TOO_LARGE: without a bound, a backlog of
 * large leads (a 10,000-character message each) fills a partition's batch past it, the request
 * fails whole, and the stage fails the same chunk again and again. At most this many bytes in a
 * request keeps every partition's batch under the broker's default, its framing included.
 */
export const MAX_REQUEST_BYTES = 1_000_000;

/**
 * The largest record a stage may produce to a topic that takes the broker's default
 * `message.max.bytes` (1,048,588 bytes, 61 of them the batch's header), by `recordBytes`. The
 * broker refuses a larger one every time it is sent, so a stage dead-letters the input that made
 * it (`output_too_large`) rather than fail that chunk for ever; a topic with a limit of its own
 * has its own bound (`TopicLimits.maxRecordBytes`).
 */
export const MAX_RECORD_BYTES = DEFAULT_MAX_MESSAGE_BYTES - RECORD_BATCH_HEADER_BYTES;

/** A record's framing in a v2 record batch, generously: length, attributes, deltas, counts. */
const RECORD_OVERHEAD_BYTES = 32;

/** What a record adds to a produce request, in bytes (an estimate that never falls short). */
export function recordBytes(record: OutgoingRecord): number {
  let bytes = RECORD_OVERHEAD_BYTES + (record.value?.length ?? 0);
  const { key, headers } = record;
  if (key !== null) bytes += typeof key === 'string' ? Buffer.byteLength(key) : key.length;
  if (headers) {
    for (const name in headers) {
      bytes += Buffer.byteLength(name) + Buffer.byteLength(headers[name]!) + 2;
    }
  }
  return bytes;
}

/**
 * The records in order, cut into requests of at most `MAX_REQUEST_BYTES` each, and of no more than
 * the smallest record batch its topics take (`maxMessageBytes`, a topic's `max.message.bytes`:
 * one partition's batch is never larger than its request); a record larger than that alone in its
 * own, so a broker's refusal of it fails no other record. Sent one after another, they keep each
 * partition's order.
 */
export function splitRequests(
  records: readonly OutgoingRecord[],
  maxMessageBytes: (topic: string) => number = () => DEFAULT_MAX_MESSAGE_BYTES,
): (readonly OutgoingRecord[])[] {
  const parts: OutgoingRecord[][] = [];
  let part: OutgoingRecord[] = [];
  let bytes = 0;
  let bound = MAX_REQUEST_BYTES;
  // The records of a request mostly share a topic: its bound is looked up once per run of them.
  let lastTopic: string | null = null;
  let topicBound = MAX_REQUEST_BYTES;
  for (const record of records) {
    const size = recordBytes(record);
    if (record.topic !== lastTopic) {
      lastTopic = record.topic;
      topicBound = Math.min(
        MAX_REQUEST_BYTES,
        maxMessageBytes(record.topic) - RECORD_BATCH_HEADER_BYTES,
      );
    }
    if (part.length > 0 && bytes + size > Math.min(bound, topicBound)) {
      parts.push(part);
      part = [];
      bytes = 0;
      bound = MAX_REQUEST_BYTES;
    }
    part.push(record);
    bytes += size;
    bound = Math.min(bound, topicBound);
  }
  if (part.length > 0) parts.push(part);
  return parts;
}

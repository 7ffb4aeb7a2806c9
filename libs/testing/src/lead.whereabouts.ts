import { readRanges, topicOffsets } from '@lead-router/kafka';
import type { Kafka } from 'kafkajs';
import { groupLag } from './group.position';

/**
 * Where a lead is when a test waited for it in vain: how many records of each topic carry
 * `needle` (a source's lead id, say: Avro writes a string as its UTF-8 bytes), and how far each
 * consumer group of the test's prefix is behind on each topic it reads. Meant for the failure
 * message, so that a run that failed names the hop where the lead stopped.
 */
export async function leadWhereabouts(
  kafka: Kafka,
  prefix: string,
  topics: Record<string, string>,
  needle: string,
): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const bytes = Buffer.from(needle, 'utf8');
    const ends = new Map<string, Map<number, bigint>>();
    const lines = await Promise.all(
      Object.entries(topics).map(async ([key, topic]) => {
        try {
          const offsets = await topicOffsets(admin, topic, 5_000);
          ends.set(topic, new Map(offsets.map((o) => [o.partition, BigInt(o.high)])));
          const ranges = offsets.map((o) => ({
            partition: o.partition,
            start: o.low,
            end: o.high,
          }));
          const records = await readRanges(kafka, topic, ranges);
          const carrying = records.filter((r) => r.message.value?.includes(bytes)).length;
          return `${key} (${topic}): ${records.length} records, ${carrying} carry ${needle}`;
        } catch (err) {
          return `${key} (${topic}): not read (${(err as Error).message})`;
        }
      }),
    );
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((id) => id.startsWith(prefix))
      .sort();
    for (const groupId of groups)
      for (const { topic, lag } of await groupLag(admin, groupId, ends))
        lines.push(`group ${groupId} on ${topic}: lag ${lag}`);
    return lines.join('\n');
  } finally {
    await admin.disconnect();
  }
}

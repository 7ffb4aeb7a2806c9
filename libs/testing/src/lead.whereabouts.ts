import { readRanges, topicOffsets } from '@lead-router/kafka';
import type { Admin, Kafka } from 'kafkajs';
import { groupLag } from './group.position';

/**
 * Where a lead (or, without `needle`, every lead) is when a test waited in vain, in a few lines
 * for a failure message, so that a run that failed names the hop where the lead stopped:
 * - each topic that holds records, with how many (and how many carry `needle`, a source's lead id
 *   say: Avro writes a string as its UTF-8 bytes), then the empty topics on one line;
 * - each consumer group of the test's prefix that committed on one of those topics, with its state
 *   and members and how far it is behind; of the other groups, those not Stable by name and the
 *   Stable ones counted.
 */
export async function leadWhereabouts(
  kafka: Kafka,
  prefix: string,
  topics: Record<string, string>,
  needle?: string,
): Promise<string> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const bytes = needle !== undefined ? Buffer.from(needle, 'utf8') : null;
    const ends = new Map<string, Map<number, bigint>>();
    const empty: string[] = [];
    const read = await Promise.all(
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
          if (records.length === 0) {
            empty.push(key);
            return [];
          }
          if (!bytes) return [`${key} (${topic}): ${records.length} records`];
          const carrying = records.filter((r) => r.message.value?.includes(bytes)).length;
          return [`${key} (${topic}): ${records.length} records, ${carrying} carry ${needle}`];
        } catch (err) {
          return [`${key} (${topic}): not read (${(err as Error).message})`];
        }
      }),
    );
    const lines = read.flat();
    if (empty.length > 0) lines.push(`empty topics: ${empty.join(', ')}`);
    const groups = (await admin.listGroups()).groups
      .map((g) => g.groupId)
      .filter((id) => id.startsWith(prefix))
      .sort();
    const states = await groupStates(admin, groups);
    const unsettled: string[] = [];
    let settled = 0;
    for (const groupId of groups) {
      const state = states.get(groupId) ?? 'state unknown';
      const lags = await groupLag(admin, groupId, ends);
      for (const { topic, lag } of lags)
        lines.push(`group ${groupId} (${state}) on ${topic}: lag ${lag}`);
      if (lags.length > 0) continue;
      if (state.startsWith('Stable,')) settled++;
      else unsettled.push(`${groupId} (${state})`);
    }
    if (unsettled.length > 0)
      lines.push(`groups without offsets, not Stable: ${unsettled.join(', ')}`);
    if (settled > 0) lines.push(`groups without offsets, Stable: ${settled}`);
    return lines.join('\n');
  } finally {
    await admin.disconnect();
  }
}

/** Each group's state and member count ("Stable, 1 member"): a group stuck rebalancing shows. */
async function groupStates(admin: Admin, groupIds: string[]): Promise<Map<string, string>> {
  if (groupIds.length === 0) return new Map();
  try {
    const { groups } = await admin.describeGroups(groupIds);
    return new Map(
      groups.map((g) => [
        g.groupId,
        `${g.state}, ${g.members.length} member${g.members.length === 1 ? '' : 's'}`,
      ]),
    );
  } catch (err) {
    return new Map(groupIds.map((id) => [id, `not described (${(err as Error).message})`]));
  }
}

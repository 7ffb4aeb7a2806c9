import type { Admin } from 'kafkajs';

/** A consumer group's committed offset on one partition, as kafkajs' fetchOffsets lists it. */
interface CommittedPartition {
  partition: number;
  offset: string;
}

/** Where a group stands on a partition: its committed offset, 0 when it never committed one (-1). */
const position = (p: CommittedPartition): bigint => {
  const at = BigInt(p.offset);
  return at < 0n ? 0n : at;
};

/** The offsets `groupId` has committed on `topic`, summed over its partitions (none counts 0). */
export async function committedOffset(
  admin: Admin,
  groupId: string,
  topic: string,
): Promise<number> {
  const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
  return Number((offsets?.partitions ?? []).reduce((sum, p) => sum + position(p), 0n));
}

/**
 * How far `groupId` is behind on each topic of `ends` it has committed on: the records between
 * its committed offset (from the start when it never committed a partition) and each partition's
 * end offset, summed over the partitions.
 */
export async function groupLag(
  admin: Admin,
  groupId: string,
  ends: ReadonlyMap<string, ReadonlyMap<number, bigint>>,
): Promise<{ topic: string; lag: bigint }[]> {
  const committed = await admin.fetchOffsets({ groupId });
  return committed.flatMap(({ topic, partitions }) => {
    const end = ends.get(topic);
    if (!end) return [];
    const lag = partitions.reduce((sum, p) => {
      const high = end.get(p.partition) ?? 0n;
      const at = position(p);
      return sum + (high > at ? high - at : 0n);
    }, 0n);
    return [{ topic, lag }];
  });
}

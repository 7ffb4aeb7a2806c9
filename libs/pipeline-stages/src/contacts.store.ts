import { type AvroCodec, readRanges, type StageOutput, wholeTopicRanges } from '@lead-router/kafka';
import type { ContactSeen } from '@lead-router/schemas';
import type { Kafka } from 'kafkajs';

/** One changelog record: an entry, or a tombstone (null) that deletes its key. */
export interface ChangelogRecord {
  key: string;
  entry: ContactSeen | null;
}

/** Every record of one changelog partition, oldest first (the newest of a key wins). */
export type ContactsChangelogReader = (partition: number) => Promise<ChangelogRecord[]>;

/**
 * Reads the enricher.contacts-seen changelog from its start to its end: one partition, or every
 * partition when none is named (what an erasure request searches).
 */
export function contactsChangelog(
  kafka: Kafka,
  codec: AvroCodec,
  topic: string,
  groupPrefix: string,
): (partition?: number) => Promise<ChangelogRecord[]> {
  return async (partition) => {
    const ranges = (await wholeTopicRanges(kafka, topic)).filter(
      (r) => partition === undefined || r.partition === partition,
    );
    const records: ChangelogRecord[] = [];
    for (const { message } of await readRanges(kafka, topic, ranges, groupPrefix)) {
      const key = message.key?.toString('utf8') ?? '';
      // A tombstone: an erasure request dropped the key (compaction removes it later).
      if (message.value === null) records.push({ key, entry: null });
      else {
        const entry = await codec.decode<ContactSeen>(message.value, 'ContactSeen');
        records.push({ key: entry.contact_key, entry });
      }
    }
    return records;
  };
}

/** The latest entry of every key in a changelog, tombstoned keys left out. */
export function latestEntries(records: Iterable<ChangelogRecord>): Map<string, ContactSeen> {
  const entries = new Map<string, ContactSeen>();
  for (const { key, entry } of records) {
    if (entry === null) entries.delete(key);
    else entries.set(key, entry);
  }
  return entries;
}

/**
 * The first lead of every contact of the enricher.contacts partitions this instance owns, kept
 * in the compacted enricher.contacts-seen changelog the Kafka Streams way: an entry changed by a
 * chunk is produced with the chunk's outputs, before its offsets are committed, and a partition
 * is read back from the changelog's partition of the same number (the two topics have the same
 * key and count) the first time this instance handles it after joining the group.
 */
export class ContactStore {
  private readonly partitions = new Map<number, Map<string, ContactSeen>>();
  /** Entries changed since the last drain; null for a key to tombstone. */
  private readonly dirty = new Map<string, ContactSeen | null>();

  constructor(
    private readonly topic: string,
    private readonly readPartition: ContactsChangelogReader,
  ) {}

  /** The instance (re)joined its group: the partitions it owns may have moved. */
  invalidate(): void {
    this.partitions.clear();
  }

  async restore(partition: number): Promise<void> {
    if (this.partitions.has(partition)) return;
    this.partitions.set(partition, latestEntries(await this.readPartition(partition)));
  }

  get(partition: number, key: string): ContactSeen | undefined {
    return this.partitions.get(partition)?.get(key);
  }

  set(partition: number, entry: ContactSeen): void {
    let entries = this.partitions.get(partition);
    if (entries === undefined) this.partitions.set(partition, (entries = new Map()));
    entries.set(entry.contact_key, entry);
    this.dirty.set(entry.contact_key, entry);
  }

  /**
   * Drops a contact's entry (a right-to-erasure request) and tombstones its key in the
   * changelog, whether or not this instance held it, so no restore brings it back.
   */
  forget(partition: number, key: string): void {
    this.partitions.get(partition)?.delete(key);
    this.dirty.set(key, null);
  }

  /** The entries changed since the last call, produced with the chunk's outputs. */
  drain(): StageOutput[] {
    const outputs = [...this.dirty].map(([key, entry]): StageOutput => ({
      topic: this.topic,
      key,
      value: entry,
    }));
    this.dirty.clear();
    return outputs;
  }
}

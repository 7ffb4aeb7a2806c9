import { type AvroCodec, readRanges, type StageOutput, wholeTopicRanges } from '@lead-router/kafka';
import type { ContactSeen } from '@lead-router/schemas';
import type { Kafka } from 'kafkajs';

/** Every entry of one changelog partition, oldest first (the newest of a key wins). */
export type ContactsChangelogReader = (partition: number) => Promise<ContactSeen[]>;

/** Reads one partition of the enricher.contacts-seen changelog from its start to its end. */
export function contactsChangelog(
  kafka: Kafka,
  codec: AvroCodec,
  topic: string,
  groupPrefix: string,
): ContactsChangelogReader {
  return async (partition) => {
    const ranges = (await wholeTopicRanges(kafka, topic)).filter((r) => r.partition === partition);
    const entries: ContactSeen[] = [];
    for (const { message } of await readRanges(kafka, topic, ranges, groupPrefix)) {
      // A null value would be a tombstone; the topic's retention removes entries instead.
      if (message.value === null) continue;
      entries.push(await codec.decode<ContactSeen>(message.value, 'ContactSeen'));
    }
    return entries;
  };
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
  private readonly dirty = new Map<string, ContactSeen>();

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
    const entries = new Map<string, ContactSeen>();
    for (const entry of await this.readPartition(partition)) entries.set(entry.contact_key, entry);
    this.partitions.set(partition, entries);
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

  /** The entries changed since the last call, produced with the chunk's outputs. */
  drain(): StageOutput[] {
    const outputs = [...this.dirty.values()].map((entry): StageOutput => ({
      topic: this.topic,
      key: entry.contact_key,
      value: entry,
    }));
    this.dirty.clear();
    return outputs;
  }
}

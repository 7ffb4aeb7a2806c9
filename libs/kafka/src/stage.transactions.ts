import type { ConsumerGroupMetadata } from 'kafkajs';
import type { OutgoingRecord } from './batching.producer';
import type { TransactionOffsets } from './partition.transactions';

/**
 * How an exactly-once stage cuts its transactions (`KAFKA_EXACTLY_ONCE`):
 *  - `v1`: one transactional producer per input partition (`PartitionTransactions`),
 *    fenced by its id; one transaction per partition per chunk;
 *  - `v2` (default): one per process (`ProcessTransactions`), fenced by the group generation
 *    (KIP-447); the chunks ready at once share a transaction (its records in produce requests
 *    of at most `MAX_REQUEST_BYTES`, as every producer of the project sends them).
 */
export type ExactlyOnceVersion = 'v1' | 'v2';

export const EXACTLY_ONCE_VERSIONS: readonly ExactlyOnceVersion[] = ['v1', 'v2'];

/** What the stage runner needs of either way of cutting transactions. */
export interface StageTransactions {
  /**
   * Whether a partition's committed offset must be read with `requireStable`: under v2 the
   * previous owner's last transaction may still hold offsets of it, and nobody aborts it for us.
   */
  readonly stableOffsets: boolean;
  /**
   * The group gave this instance `partitions`: fences their earlier owners (v1) or starts the
   * producers (v2).
   */
  assigned(partitions: readonly number[]): Promise<void>;
  /** What `assigned` does, for one partition; done before its committed offset is read. */
  fence(partition: number): Promise<unknown>;
  /**
   * Commits the chunk's outputs and consumed offsets in one transaction, or throws (the outcome
   * is then unknown, and the chunk is read again). `member` is the consumer's place in the group
   * when the chunk's batch was fetched: v2 commits the offsets with it.
   */
  commit(
    partition: number,
    records: readonly OutgoingRecord[],
    offsets: TransactionOffsets,
    member: ConsumerGroupMetadata,
  ): Promise<void>;
  disconnect(): Promise<void>;
}

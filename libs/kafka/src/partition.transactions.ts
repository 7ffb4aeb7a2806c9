import type { Kafka, Producer } from 'kafkajs';
import type { Logger } from '@lead-router/observability';
import type { OutgoingRecord } from './batching.producer';
import type { StageTransactions } from './stage.transactions';
import type { TopicLimits } from './topic.limits';
import { runTransaction, startProducerPair } from './transaction.run';

/** The consumed position a transaction commits with its outputs: the next offset to read. */
export interface TransactionOffsets {
  groupId: string;
  topic: string;
  partition: number;
  offset: string;
}

export interface PartitionTransactionsOptions {
  kafka: Kafka;
  /** Each input partition's producer is `<prefix>.<partition>`: stable across restarts. */
  transactionalIdPrefix: string;
  logger: Logger;
  /** How long the coordinator lets an open transaction live before aborting it (default 15 s). */
  transactionTimeoutMs?: number;
  /** Told, for each committed transaction, how long each of its phases took, in seconds. */
  onCommitted?: (seconds: Readonly<Record<TransactionPhase, number>>) => void;
  /**
   * Each topic's `max.message.bytes`, read before a transaction's records are cut into requests
   * (without it, every topic is taken to have the broker's default).
   */
  limits?: TopicLimits;
}

/**
 * A transaction's phases, each its own round trips to the broker: `send` the records (with
 * AddPartitionsToTxn), `offsets` the consumed offsets (AddOffsetsToTxn, TxnOffsetCommit),
 * `commit` (EndTxn, answered once the coordinator has written the commit).
 */
export type TransactionPhase = 'send' | 'offsets' | 'commit';

/** A partition's two transactional producers, used in turn (see `PartitionTransactions`). */
export type ProducerPair = readonly [Producer, Producer];

/**
 * Kafka transactions per input partition, the way Kafka Streams' first exactly-once mode does
 * it: each input partition has its own transactional producers, whose ids are derived from the
 * partition, so whoever owns the partition next (a restarted process or another instance) fences
 * the previous owner when it starts them. Starting them also aborts what the previous owner
 * left open, so `read_committed` readers (kafkajs' default) never wait on a dead process's
 * transaction and never see its half-written outputs.
 *
 * A transaction holds a chunk's outputs and its consumed offsets, committed together or not at
 * all: a record's outputs are visible downstream once and only once, however the process dies.
 *
 * Each partition has two producers (`<prefix>.<partition>` and `<prefix>.<partition>.alt`) and
 * its transactions take them in turn. The coordinator answers EndTxn before it has written the
 * commit markers, and refuses the same id's next transaction (CONCURRENT_TRANSACTIONS) until it
 * has: a partition with records waiting began every transaction with a refusal, a metadata
 * refresh, an error line in the log and kafkajs' retry pause, 36 ms a transaction instead of 9 on
 * this host (docs/architecture.md). The other id's last transaction ended a whole transaction ago.
 * Still one transaction at a time per partition: the next begins after the last one's EndTxn was
 * answered, so its records follow the last one's in every output partition, and the group keeps
 * the offset committed last (the coordinator keeps the commit written later to its log).
 */
export class PartitionTransactions implements StageTransactions {
  readonly stableOffsets = false;
  private readonly producers = new Map<number, Promise<ProducerPair>>();
  /** Which of its two producers each partition's next transaction takes. */
  private readonly turns = new Map<number, 0 | 1>();

  constructor(private readonly options: PartitionTransactionsOptions) {}

  transactionalIds(partition: number): readonly [string, string] {
    const id = `${this.options.transactionalIdPrefix}.${partition}`;
    return [id, `${id}.alt`];
  }

  /**
   * Starts the partition's transactional producers unless they run already. Starting them fences
   * every earlier holder of their ids and aborts the transactions those left open.
   */
  fence(partition: number): Promise<ProducerPair> {
    let producers = this.producers.get(partition);
    if (!producers) {
      producers = this.startPair(partition);
      this.producers.set(partition, producers);
      // A start that failed is tried afresh next time.
      producers.catch(() => this.producers.delete(partition));
    }
    return producers;
  }

  /** Stops the producers of partitions gone elsewhere and fences the ones assigned. */
  async assigned(partitions: readonly number[]): Promise<void> {
    await this.release(partitions);
    await Promise.all(partitions.map((p) => this.fence(p)));
  }

  /**
   * One transaction on the partition's producer whose turn it is: the records, then the consumed
   * offsets, then the commit. On any failure the transaction is aborted and the error rethrown;
   * the partition's producers are dropped (a fenced one means another owner took the partition,
   * and this instance writes no more), and the next commit starts them again, fencing first.
   */
  async commit(
    partition: number,
    records: readonly OutgoingRecord[],
    offsets?: TransactionOffsets,
  ): Promise<void> {
    const pair = await this.fence(partition);
    const turn = this.turns.get(partition) ?? 0;
    this.turns.set(partition, turn === 0 ? 1 : 0);
    const commits = offsets
      ? [
          {
            consumerGroupId: offsets.groupId,
            topics: [
              {
                topic: offsets.topic,
                partitions: [{ partition: offsets.partition, offset: offsets.offset }],
              },
            ],
          },
        ]
      : [];
    try {
      await runTransaction(pair[turn], records, commits, this.options);
    } catch (err) {
      await this.drop(partition);
      throw err;
    }
  }

  /** Stops the producers of the partitions not in `keep` (all when omitted). */
  async release(keep: readonly number[] = []): Promise<void> {
    const gone = [...this.producers.keys()].filter((p) => !keep.includes(p));
    await Promise.all(gone.map((p) => this.drop(p)));
  }

  disconnect(): Promise<void> {
    return this.release();
  }

  private async startPair(partition: number): Promise<ProducerPair> {
    const { kafka, logger, transactionTimeoutMs } = this.options;
    const pair = await startProducerPair(
      kafka,
      this.transactionalIds(partition),
      logger,
      transactionTimeoutMs,
    );
    this.turns.set(partition, 0);
    return pair;
  }

  private async drop(partition: number): Promise<void> {
    const producer = this.producers.get(partition);
    this.producers.delete(partition);
    this.turns.delete(partition);
    if (!producer) return;
    const pair = await producer.catch(() => null);
    await Promise.all((pair ?? []).map((p) => p.disconnect().catch(() => undefined)));
  }
}

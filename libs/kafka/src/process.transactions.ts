import type { ConsumerGroupMetadata, Kafka } from 'kafkajs';
import type { Logger } from '@lead-router/observability';
import type { OutgoingRecord } from './batching.producer';
import type { ProducerPair, TransactionOffsets, TransactionPhase } from './partition.transactions';
import type { TopicLimits } from './topic.limits';
import type { StageTransactions } from './stage.transactions';
import {
  runTransaction,
  startProducerPair,
  type TransactionOffsetsCommit,
} from './transaction.run';

export interface ProcessTransactionsOptions {
  kafka: Kafka;
  /**
   * The process's producers are `<id>` and `<id>.alt`. Unique among the instances that run at
   * once (two processes with one id fence each other in turn); stable across a process's
   * restarts where it can be, so the restarted process aborts at once what its previous life left
   * open instead of the readers downstream waiting out the transaction timeout.
   */
  transactionalId: string;
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

/** One chunk waiting for the next transaction. */
interface Pending {
  records: readonly OutgoingRecord[];
  offsets: TransactionOffsets;
  /** The member's place in the group when the chunk's batch was fetched. */
  member: ConsumerGroupMetadata;
  resolve: () => void;
  reject: (err: unknown) => void;
}

/**
 * Kafka transactions per process, the way Kafka Streams' `exactly_once_v2` does it (KIP-447):
 * one transactional producer for all of the process's input partitions, its consumed offsets
 * committed with the consumer's group metadata (TxnOffsetCommit v3), so the group coordinator
 * refuses them unless this member and its generation are still current. A member that lost a
 * partition can therefore not commit it, and whoever owns it next reads its committed offset
 * with `requireStable` (OffsetFetch v7): while a transaction holding offsets of the partition is
 * still open, the coordinator answers UNSTABLE_OFFSET_COMMIT, and the reader waits for it to end.
 *
 * Chunks of different partitions that are ready at the same time share one transaction (group
 * commit): while one transaction runs, the chunks handed in meanwhile wait and go together in
 * the next. At low rates, when a fetch brings a few records on many partitions, that is one
 * transaction where `PartitionTransactions` runs one per partition: a third of the broker
 * requests of the router's two steps (bench/RESULTS.md). Each partition still has at most one
 * chunk in a transaction (the runner waits for a chunk's commit before its next), so a
 * partition's outputs and offsets stay in order.
 *
 * A failed transaction fails every chunk in it; each is read again (and the producers are
 * started afresh, fencing this id's earlier incarnation and aborting what it left open).
 * Like `PartitionTransactions`, two producers take the transactions in turn, so the next
 * transaction does not wait for the coordinator to finish writing the last one's markers.
 */
export class ProcessTransactions implements StageTransactions {
  readonly stableOffsets = true;
  private producers: Promise<ProducerPair> | null = null;
  private turn: 0 | 1 = 0;
  private queue: Pending[] = [];
  private draining = false;

  constructor(private readonly options: ProcessTransactionsOptions) {}

  transactionalIds(): readonly [string, string] {
    const id = this.options.transactionalId;
    return [id, `${id}.alt`];
  }

  /**
   * Starts the process's transactional producers unless they run already. Starting them fences
   * every earlier holder of their ids and aborts the transactions those left open.
   */
  start(): Promise<ProducerPair> {
    if (!this.producers) {
      const producers = this.startPair();
      this.producers = producers;
      // A start that failed is tried afresh next time.
      producers.catch(() => {
        if (this.producers === producers) this.producers = null;
      });
    }
    return this.producers;
  }

  async assigned(): Promise<void> {
    await this.start();
  }

  fence(): Promise<ProducerPair> {
    return this.start();
  }

  /**
   * Commits the chunk's outputs and its consumed offsets in the next transaction, with the
   * member's group metadata as of the chunk's fetch. Resolves once that transaction committed;
   * rejects if it failed (the chunk must be read again).
   */
  commit(
    _partition: number,
    records: readonly OutgoingRecord[],
    offsets: TransactionOffsets,
    member: ConsumerGroupMetadata,
  ): Promise<void> {
    return new Promise((resolve, reject) => {
      this.queue.push({ records, offsets, member, resolve, reject });
      if (!this.draining) {
        this.draining = true;
        // The partitions whose chunks are ready in the same turn of the event loop join.
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length > 0) {
      const chunks = this.queue.splice(0);
      try {
        await this.run(chunks);
        for (const c of chunks) c.resolve();
      } catch (err) {
        for (const c of chunks) c.reject(err);
      }
    }
    this.draining = false;
  }

  private async run(chunks: readonly Pending[]): Promise<void> {
    const pair = await this.start();
    const turn = this.turn;
    this.turn = turn === 0 ? 1 : 0;
    const records = chunks.flatMap((c) => c.records);
    try {
      await runTransaction(pair[turn], records, offsetsByGroup(chunks), this.options);
    } catch (err) {
      await this.disconnect();
      throw err;
    }
  }

  async disconnect(): Promise<void> {
    const producers = this.producers;
    this.producers = null;
    const pair = await producers?.catch(() => null);
    await Promise.all((pair ?? []).map((p) => p.disconnect().catch(() => undefined)));
  }

  private async startPair(): Promise<ProducerPair> {
    const { kafka, logger, transactionTimeoutMs } = this.options;
    const pair = await startProducerPair(
      kafka,
      this.transactionalIds(),
      logger,
      transactionTimeoutMs,
    );
    this.turn = 0;
    return pair;
  }
}

/**
 * The chunks' offsets, one TxnOffsetCommit per consumer group and generation. A process's
 * stages each have a group of their own, and the runner hands in each chunk with the generation
 * its batch was fetched under, so a transaction may hold two generations of one group only when a
 * rebalance came between: the older one is then refused, and the whole transaction with it.
 */
function offsetsByGroup(chunks: readonly Pending[]): TransactionOffsetsCommit[] {
  const groups = new Map<
    string,
    {
      groupId: string;
      member: ConsumerGroupMetadata;
      topics: Map<string, { partition: number; offset: string }[]>;
    }
  >();
  for (const { offsets, member } of chunks) {
    const key = `${offsets.groupId}\u0000${member.memberId}\u0000${member.generationId}`;
    let group = groups.get(key);
    if (!group) groups.set(key, (group = { groupId: offsets.groupId, member, topics: new Map() }));
    let partitions = group.topics.get(offsets.topic);
    if (!partitions) group.topics.set(offsets.topic, (partitions = []));
    partitions.push({ partition: offsets.partition, offset: offsets.offset });
  }
  return [...groups.values()].map(({ groupId, member, topics }) => ({
    consumerGroupId: groupId,
    consumerGroupMetadata: member,
    topics: [...topics].map(([topic, partitions]) => ({ topic, partitions })),
  }));
}

import { Partitioners, type Kafka, type Producer } from 'kafkajs';
import type { Logger } from '@lead-router/observability';
import { groupByTopic, type OutgoingRecord } from './batching.producer';

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
}

/**
 * Kafka transactions per input partition, the way Kafka Streams' first exactly-once mode does
 * it: each input partition has its own transactional producer, whose id is derived from the
 * partition, so whoever owns the partition next (a restarted process or another instance) fences
 * the previous owner when it starts the producer. Starting it also aborts what the previous owner
 * left open, so `read_committed` readers (kafkajs' default) never wait on a dead process's
 * transaction and never see its half-written outputs.
 *
 * A transaction holds a chunk's outputs and its consumed offsets, committed together or not at
 * all: a record's outputs are visible downstream once and only once, however the process dies.
 */
export class PartitionTransactions {
  private readonly producers = new Map<number, Promise<Producer>>();

  constructor(private readonly options: PartitionTransactionsOptions) {}

  transactionalId(partition: number): string {
    return `${this.options.transactionalIdPrefix}.${partition}`;
  }

  /**
   * Starts the partition's transactional producer unless it runs already. Starting it fences
   * every earlier holder of its id and aborts the transaction that holder left open.
   */
  fence(partition: number): Promise<Producer> {
    let producer = this.producers.get(partition);
    if (!producer) {
      producer = this.start(partition);
      this.producers.set(partition, producer);
      // A start that failed is tried afresh next time.
      producer.catch(() => this.producers.delete(partition));
    }
    return producer;
  }

  /**
   * One transaction on the partition's producer: the records, then the consumed offsets, then
   * the commit. On any failure the transaction is aborted and the error rethrown; a producer that
   * was fenced (another owner took the partition) is dropped, so this instance writes no more.
   */
  async commit(
    partition: number,
    records: readonly OutgoingRecord[],
    offsets?: TransactionOffsets,
  ): Promise<void> {
    const producer = await this.fence(partition);
    const transaction = await producer.transaction();
    try {
      if (records.length > 0) {
        await transaction.sendBatch({ acks: -1, topicMessages: groupByTopic(records) });
      }
      if (offsets) {
        await transaction.sendOffsets({
          consumerGroupId: offsets.groupId,
          topics: [
            {
              topic: offsets.topic,
              partitions: [{ partition: offsets.partition, offset: offsets.offset }],
            },
          ],
        });
      }
      await transaction.commit();
    } catch (err) {
      await transaction.abort().catch(() => undefined);
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

  private async start(partition: number): Promise<Producer> {
    const transactionalId = this.transactionalId(partition);
    const producer = this.options.kafka.producer({
      transactionalId,
      idempotent: true,
      maxInFlightRequests: 1,
      transactionTimeout: this.options.transactionTimeoutMs ?? 15_000,
      allowAutoTopicCreation: false,
      createPartitioner: Partitioners.DefaultPartitioner,
      // As the idempotent producer: sequence numbers make retries safe, and a chunk whose
      // broker is away waits for it (its records wait in Kafka, uncommitted). The first retry
      // comes after 20 ms, as in Kafka's Java producer: the broker refuses a partition's next
      // transaction (CONCURRENT_TRANSACTIONS) for the moment it takes to finish the last one, and
      // kafkajs' 100 ms default added that much to a trickle's latency (bench:eos).
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 20, maxRetryTime: 3000 },
    });
    await producer.connect();
    // kafkajs runs InitProducerId for the transactional id at the first transaction, not at
    // connect: begin one and end it empty (no request goes out for that), so the fencing and the
    // abort of what an earlier owner left open happen now, before this owner reads anything.
    await (await producer.transaction()).abort();
    this.options.logger.debug({ transactionalId }, 'transactional producer started');
    return producer;
  }

  private async drop(partition: number): Promise<void> {
    const producer = this.producers.get(partition);
    this.producers.delete(partition);
    if (!producer) return;
    await producer.then((p) => p.disconnect()).catch(() => undefined);
  }
}

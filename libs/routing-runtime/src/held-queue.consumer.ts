import {
  type AvroCodec,
  FETCH_MAX_WAIT_MS,
  headersToStrings,
  type OutgoingRecord,
  PartitionTransactions,
  topicOffsets,
} from '@lead-router/kafka';
import { traceHeadersOf, withTraceHeaders, type Logger } from '@lead-router/observability';
import type { QueueAssignment } from '@lead-router/schemas';
import { ConfigResourceTypes, type Admin, type Consumer, type Kafka } from 'kafkajs';
import type { HeldEntry } from './held.index';
import { HeldTopicError } from './held-topic.error';
import { HeldQueue, releasedAssignment, type HeldQueueDeps } from './held.queue';

export interface HeldQueueConsumerDeps {
  kafka: Kafka;
  codec: AvroCodec;
  logger: Logger;
  /** The router's group id: the held queue's group and transactional ids are `<groupId>.held`. */
  groupId: string;
  topics: { held: string; assign: string };
  now: () => number;
  sessionTimeoutMs?: number;
  /** Called with the queue group of every lead released. */
  onReleased?: HeldQueueDeps['onReleased'];
}

/**
 * The held queue over Kafka: a consumer group on router.held that never commits an offset, so
 * each assignment of a partition reads it again from the start, and a transactional producer per
 * partition (`<groupId>.held.<partition>`) that releases due leads.
 */
export class HeldQueueConsumer {
  readonly queue: HeldQueue;
  private readonly consumer: Consumer;
  private readonly admin: Admin;
  private readonly transactions: PartitionTransactions;
  private crashed: Error | null = null;
  private started = false;

  constructor(private readonly deps: HeldQueueConsumerDeps) {
    const { kafka, topics, logger } = deps;
    const groupId = `${deps.groupId}.held`;
    const sessionTimeout = deps.sessionTimeoutMs ?? 30_000;
    this.consumer = kafka.consumer({
      groupId,
      allowAutoTopicCreation: false,
      sessionTimeout,
      heartbeatInterval: Math.min(3_000, Math.floor(sessionTimeout / 3)),
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    });
    this.admin = kafka.admin();
    this.transactions = new PartitionTransactions({
      kafka,
      transactionalIdPrefix: groupId,
      logger,
    });
    this.queue = new HeldQueue({
      logger,
      now: deps.now,
      onReleased: deps.onReleased,
      ports: {
        fence: async (partition) => {
          await this.transactions.fence(partition);
        },
        offsets: (partition) => this.offsets(partition),
        seek: (partition, offset) =>
          this.consumer.seek({ topic: topics.held, partition, offset: offset.toString() }),
        decode: (value) => deps.codec.decode<QueueAssignment>(value, 'QueueAssignment'),
        release: (partition, leads) => this.release(partition, leads),
      },
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, ({ payload }) => {
      const partitions = payload.memberAssignment[topics.held] ?? [];
      void this.transactions.release(partitions).catch(() => undefined);
      void this.queue.assigned(partitions);
    });
    // A fetch that held only transaction markers or aborted records reaches no eachBatch.
    this.consumer.on(this.consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      if (payload.batchSize === 0 && payload.firstOffset !== null) {
        this.queue.skipped(payload.partition, payload.firstOffset, payload.lastOffset);
      }
      this.queue.fetched(payload.partition, payload.lastOffset);
    });
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      logger.error({ err: payload.error, restart: payload.restart }, 'held queue consumer crashed');
      if (!payload.restart) this.crashed = payload.error;
    });
  }

  get healthy(): boolean {
    return this.started && this.crashed === null;
  }

  async start(): Promise<void> {
    await this.admin.connect();
    await this.requireCompacted();
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.deps.topics.held, fromBeginning: true });
    await this.consumer.run({
      // Never committed: the index is rebuilt from the compacted topic on every assignment.
      autoCommit: false,
      partitionsConsumedConcurrently: 6,
      eachBatch: async ({ batch, isStale }) => {
        if (isStale()) return;
        // kafkajs' Batch knows the offset it was fetched from; its type does not say so.
        const fetchedOffset = (batch as unknown as { fetchedOffset: string }).fetchedOffset;
        await this.queue.records(
          batch.partition,
          fetchedOffset,
          batch.lastOffset(),
          batch.messages.map((m) => ({
            offset: m.offset,
            key: m.key?.toString() ?? null,
            value: m.value,
            // The held lead's trace goes on with it when it is released to router.assign.
            ...(m.headers?.['traceparent'] !== undefined
              ? { trace: traceHeadersOf(headersToStrings(m.headers)) }
              : {}),
          })),
        );
      },
    });
    this.started = true;
  }

  async stop(): Promise<void> {
    await this.queue.stop();
    await this.consumer.disconnect();
    await this.transactions.disconnect();
    await this.admin.disconnect();
    this.started = false;
  }

  private async offsets(partition: number): Promise<{ low: bigint; end: bigint }> {
    const offsets = await topicOffsets(this.admin, this.deps.topics.held);
    const p = offsets.find((o) => o.partition === partition);
    if (!p) throw new Error(`${this.deps.topics.held} has no partition ${partition}`);
    return { low: BigInt(p.low), end: BigInt(p.high) };
  }

  private release(partition: number, leads: readonly HeldEntry[]): Promise<void> {
    const { codec, topics } = this.deps;
    const records: OutgoingRecord[] = [];
    return (async () => {
      for (const lead of leads) {
        const a = await codec.decode<QueueAssignment>(lead.value, 'QueueAssignment');
        const { key, value } = releasedAssignment(a);
        const headers = lead.trace ? withTraceHeaders(lead.trace, undefined) : undefined;
        records.push({
          topic: topics.assign,
          key,
          value: codec.encode(topics.assign, value),
          ...(headers ? { headers } : {}),
        });
        // A tombstone: compaction deletes the lead from router.held.
        records.push({ topic: topics.held, key: lead.key, value: null });
      }
      await this.transactions.commit(partition, records);
    })();
  }

  /**
   * router.held must be compacted: its records stay until their tombstone, however long a lead
   * waits. A topic created by an earlier version (delete policy, keyed by queue group) is not
   * changed by the topic set-up, which leaves existing configs alone.
   */
  private async requireCompacted(): Promise<void> {
    const topic = this.deps.topics.held;
    const { resources } = await this.admin.describeConfigs({
      includeSynonyms: false,
      resources: [
        { type: ConfigResourceTypes.TOPIC, name: topic, configNames: ['cleanup.policy'] },
      ],
    });
    const policy = resources[0]?.configEntries.find((e) => e.configName === 'cleanup.policy');
    if (!policy?.configValue.split(',').includes('compact')) {
      throw new HeldTopicError(topic, policy?.configValue ?? 'unknown');
    }
  }
}

import { hostname } from 'node:os';
import {
  activeTracer,
  NO_TRACE_HEADERS,
  SPAN_ATTRIBUTES,
  SPAN_EVENTS,
  traceHeadersOf,
  withTraceHeaders,
  type LeadSpan,
  type LeadTracer,
  type Logger,
  type StageMetrics,
  type TraceHeaders,
} from '@lead-router/observability';
import type {
  Admin,
  Consumer,
  ConsumerGroupMetadata,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
  TopicPartitionOffsetAndMetadata,
} from 'kafkajs';
import type { AvroCodec } from './avro.codec';
import type { BatchingProducer, OutgoingRecord } from './batching.producer';
import { deadLetter } from './dead-letter';
import { decideRecord, type HandlerOutcome } from './dead-letter.policy';
import { gateByDueTime, type DueGate } from './due.gate';
import { mapKeyed } from './keyed.concurrency';
import { PartitionTransactions } from './partition.transactions';
import { retryWhile } from './retry';
import { recordBytes } from './request.split';
import { RECORD_BATCH_HEADER_BYTES, TopicLimits } from './topic.limits';
import { ProcessTransactions } from './process.transactions';
import type { StageTransactions } from './stage.transactions';
import { attemptOf, headersToStrings } from './record.headers';
import type { RecordContext, StageDefinition, StageOutput } from './stage.definition';
import { TurnGatherer } from './turn.gatherer';

/**
 * How much larger than its input topic's batches a DLQ's should be: room for what a dead letter
 * adds to its input's bytes (the stage's own fields, the error's text among them, and the trace
 * headers), which is a few hundred bytes for the project's stages.
 */
export const DEAD_LETTER_ROOM_BYTES = 64 * 1024;

/**
 * How long a new owner waits for an open transaction that holds its partition's offsets: past
 * the coordinator's abort of a dead owner's transaction (15 s, `transactionTimeoutMs`).
 */
const UNSTABLE_OFFSETS_WAIT_MS = 60_000;

/** A record decoded (or not) before it is gated by due time and handled. */
interface PreparedRecord<In> {
  message: KafkaMessage;
  record: RecordContext;
  decoded: { ok: true; input: In } | { ok: false; error: unknown };
  /** The record is about a person who asked to be forgotten: `StageRunnerDeps.skip` said so. */
  skipped: boolean;
}

export interface StageRunnerDeps {
  kafka: Kafka;
  /** The first wait before a consumer that stopped for good is replaced (default 2 s; doubles to 60 s). */
  recoveryDelayMs?: number;
  producer: BatchingProducer;
  codec: AvroCodec;
  metrics: StageMetrics;
  logger: Logger;
  now?: () => number;
  /**
   * Records no stage may process (a person's right to erasure): asked after decoding, before
   * `dueAt` and `handle`. A skipped record produces nothing (no outputs, no dead letter), is
   * committed like a handled one (inside the transaction of an exactly-once stage), and is counted
   * in the records metric with outcome `erased`.
   */
  skip?: (input: unknown, ctx: RecordContext) => boolean;
  /** Starts each record's span; default the process's (`activeTracer()`), null when tracing is off. */
  tracer?: LeadTracer | null;
}

/**
 * Runs one pipeline stage as a consumer group with kafkajs `eachBatch`: decode each record,
 * call the pure handler, produce its outputs (and dead letters) with the idempotent producer,
 * and commit the batch's offsets only after the broker acknowledged those outputs. A crash at
 * any point replays from the last commit: at-least-once, with idempotent consumers downstream.
 * An `exactlyOnce` stage writes each chunk's outputs and offsets in one Kafka transaction instead.
 */
export class StageRunner<In> {
  private consumer: Consumer;
  /** A consumer that stopped for good is being replaced; the next wait before a try. */
  private recovering = false;
  private recoveryDelayMs: number;
  private readonly now: () => number;
  private crashed: Error | null = null;
  private started = false;
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();
  /** Partitions paused until their next record is due, each with the timer that resumes it. */
  private readonly waiting = new Map<number, NodeJS.Timeout>();
  /** Counts group joins, so a batch of an earlier assignment never pauses a partition. */
  private generation = 0;
  /** Exactly-once stages: the transactional producers (per input partition, or per process). */
  private readonly transactions: StageTransactions | null;
  /** Each output topic's `max.message.bytes`: the producer's, or the stage's own. */
  private readonly limits: TopicLimits;
  /** This consumer's place in the group as of its last join (exactly-once v2 commits with it). */
  private member: ConsumerGroupMetadata = { generationId: -1, memberId: '' };
  /** The partitions of the last join. */
  private assignment = new Set<number>();
  private readonly admin: Admin | null;
  /** Exactly-once stages: the fencing of the partitions of the current assignment. */
  private fencing: Promise<unknown> = Promise.resolve();
  /**
   * Exactly-once stages: per partition, the committed offset read after this assignment's
   * fencing. Records below it were committed by the partition's previous owner after this
   * instance's fetch position was set, and are skipped.
   */
  private readonly floors = new Map<number, { generation: number; offset: bigint }>();
  private readonly tracer: LeadTracer | null;
  /**
   * The offsets the partitions commit in one turn of the event loop, sent as one OffsetCommit
   * (each partition's commits stay in order: a batch sends its next only after its last is done).
   * A failure fails every commit of the request.
   */
  private readonly commits = new TurnGatherer<TopicPartitionOffsetAndMetadata>(
    (offsets) => this.consumer.commitOffsets(offsets),
    'fail-all',
  );

  constructor(
    private readonly def: StageDefinition<In>,
    private readonly deps: StageRunnerDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.tracer = deps.tracer !== undefined ? deps.tracer : activeTracer();
    this.recoveryDelayMs = deps.recoveryDelayMs ?? 2_000;
    this.consumer = this.createConsumer();
    this.limits = deps.producer.limits ?? new TopicLimits(deps.kafka);
    this.transactions = def.exactlyOnce ? this.createTransactions() : null;
    this.admin = def.exactlyOnce ? deps.kafka.admin() : null;
  }

  private createTransactions(): StageTransactions {
    const { def, deps } = this;
    const onCommitted = (seconds: Readonly<Record<string, number>>): void => {
      for (const [phase, s] of Object.entries(seconds))
        deps.metrics.transactionPhase.observe({ stage: def.stage, phase }, s);
    };
    if ((def.exactlyOnceVersion ?? 'v2') === 'v2') {
      return new ProcessTransactions({
        kafka: deps.kafka,
        transactionalId: `${def.groupId}.${def.instanceId ?? `${hostname()}-${process.pid}`}`,
        logger: deps.logger,
        onCommitted,
        limits: this.limits,
      });
    }
    return new PartitionTransactions({
      kafka: deps.kafka,
      transactionalIdPrefix: def.groupId,
      logger: deps.logger,
      onCommitted,
      limits: this.limits,
    });
  }

  private createConsumer(): Consumer {
    const { def, deps } = this;
    const consumer = deps.kafka.consumer({
      groupId: def.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: def.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((def.sessionTimeoutMs ?? 30_000) / 3)),
      maxBytesPerPartition: 1_048_576,
      minBytes: def.fetch?.minBytes ?? 1,
      maxWaitTimeInMs: def.fetch?.maxWaitMs ?? 100,
    });
    consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
      this.generation++;
      this.releaseWaiting(true);
      const assigned = payload.memberAssignment[def.topic] ?? [];
      this.member = { generationId: payload.generationId, memberId: payload.memberId };
      this.assignment = new Set(assigned);
      deps.logger.info(
        { stage: def.stage, generation: this.generation, partitions: assigned },
        'joined the group',
      );
      if (this.transactions) this.fencing = this.fenceAssignment(this.transactions, assigned);
      void this.dropLagOfRevoked(assigned);
      def.onGroupJoin?.();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      deps.logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
      // kafkajs restarts the consumer itself unless it gave up (a coordinator it cannot find
      // after a broker restart, say): then this stage would stay up and idle, so it starts a
      // new consumer, which joins the group again and reads on from the committed offsets.
      if (!payload.restart && consumer === this.consumer) this.crashedForGood(payload.error);
    });
    return consumer;
  }

  /**
   * Drops this stage's lag series of the partitions the new assignment took away: the instance
   * that owns them now reports their lag, and a figure left here would stay stale (and count in
   * the dashboard and the lag alerts) for as long as this process lives.
   */
  private async dropLagOfRevoked(assigned: readonly number[]): Promise<void> {
    const { stage, topic } = this.def;
    const gauge = this.deps.metrics.consumerLag;
    const kept = new Set(assigned.map(String));
    for (const { labels } of (await gauge.get()).values) {
      if (labels.stage !== stage || labels.topic !== topic) continue;
      const partition = String(labels.partition);
      if (!kept.has(partition)) gauge.remove({ stage, topic, partition });
    }
  }

  private crashedForGood(error: Error): void {
    this.crashed = error;
    if (this.stopping || this.recovering) return;
    this.recovering = true;
    const delayMs = this.recoveryDelayMs;
    this.recoveryDelayMs = Math.min(delayMs * 2, 60_000);
    this.deps.logger.error(
      { stage: this.def.stage, err: error, retryInMs: delayMs },
      'consumer stopped for good: a new one starts',
    );
    setTimeout(() => void this.recover(), delayMs);
  }

  /** Replaces a consumer that stopped for good; on failure waits longer and tries again. */
  private async recover(): Promise<void> {
    try {
      this.releaseWaiting(false);
      await Promise.allSettled([...this.inFlight]);
      await this.consumer.disconnect().catch(() => undefined);
      if (this.stopping) return;
      this.consumer = this.createConsumer();
      await this.runConsumer();
      this.crashed = null;
      this.recoveryDelayMs = this.deps.recoveryDelayMs ?? 2_000;
      this.deps.logger.warn({ stage: this.def.stage }, 'consumer replaced: consuming again');
      this.recovering = false;
    } catch (err) {
      this.recovering = false;
      this.crashedForGood(err instanceof Error ? err : new Error(String(err)));
    }
  }

  /** Healthy while the consumer runs and has not crashed for good. */
  get healthy(): boolean {
    return this.started && this.crashed === null;
  }

  /** The partitions paused now until their next record is due, in order. */
  get waitingPartitions(): number[] {
    return [...this.waiting.keys()].sort((a, b) => a - b);
  }

  async start(): Promise<void> {
    await this.admin?.connect();
    await this.checkDeadLetterRoom();
    await this.runConsumer();
    this.started = true;
  }

  /**
   * A dead letter holds its input's bytes and the stage's own fields, so the DLQ must take larger
   * records than the input topic. One that does not refuses the dead letter of an input near the
   * input topic's limit, and that partition waits on the record until the DLQ is raised (see
   * `processOne`): said at start, with the setting that fixes it.
   */
  private async checkDeadLetterRoom(): Promise<void> {
    const { stage, topic, dlqTopic } = this.def;
    const loading = this.limits.load([topic, dlqTopic]);
    if (loading) await loading;
    // A lookup that failed (logged by TopicLimits) says nothing of either topic.
    if (!this.limits.answered(topic) || !this.limits.answered(dlqTopic)) return;
    const needed = this.limits.maxMessageBytes(topic) + DEAD_LETTER_ROOM_BYTES;
    const dlq = this.limits.maxMessageBytes(dlqTopic);
    if (dlq >= needed) return;
    this.deps.logger.warn(
      {
        stage,
        topic,
        dlqTopic,
        dlqMaxMessageBytes: dlq,
        topicMaxMessageBytes: needed - DEAD_LETTER_ROOM_BYTES,
      },
      `the DLQ ${dlqTopic} takes batches of at most ${dlq} bytes and ${topic} of ${needed - DEAD_LETTER_ROOM_BYTES}: ` +
        `the dead letter of a record near ${topic}'s limit would not fit, and its partition would wait on it; ` +
        `set max.message.bytes on ${dlqTopic} to at least ${needed}`,
    );
  }

  private async runConsumer(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.def.topic, fromBeginning: true });
    const partitionsConcurrently = this.def.partitionsConcurrently ?? (await this.partitionCount());
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: partitionsConcurrently,
      eachBatch: (payload) => {
        const batch = this.onBatch(payload);
        this.inFlight.add(batch);
        void batch.catch(() => undefined).finally(() => this.inFlight.delete(batch));
        return batch;
      },
    });
  }

  /**
   * The partitions of the input topic: without `partitionsConcurrently`, every partition this
   * instance is given is handled at once (a partition waiting on its fetch or its broker
   * acknowledgement then holds no other back).
   */
  private async partitionCount(): Promise<number> {
    const admin = this.admin ?? this.deps.kafka.admin();
    if (!this.admin) await admin.connect();
    try {
      const { topics } = await admin.fetchTopicMetadata({ topics: [this.def.topic] });
      return Math.max(1, topics[0]?.partitions.length ?? 1);
    } finally {
      if (!this.admin) await admin.disconnect();
    }
  }

  /**
   * Finishes the chunks in flight (outputs acknowledged, offsets committed), then leaves the
   * group. kafkajs' disconnect does not always wait for a running eachBatch when partitions are
   * consumed concurrently, so the runner waits for its own batches first and starts no new chunk.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.releaseWaiting(false);
    try {
      this.consumer.pause([{ topic: this.def.topic }]);
    } catch {
      // A consumer kafkajs gave up on has nothing to pause.
    }
    await Promise.allSettled([...this.inFlight]);
    await this.consumer.disconnect();
    await this.transactions?.disconnect();
    await this.admin?.disconnect();
    this.started = false;
  }

  /**
   * Starts the transactional producer of every partition just assigned, which fences their
   * previous owners and aborts what those left open, and stops the producers of partitions that
   * went elsewhere. Each chunk waits for this before it reads the committed offset or any state.
   */
  private async fenceAssignment(
    transactions: StageTransactions,
    partitions: readonly number[],
  ): Promise<void> {
    try {
      await transactions.assigned(partitions);
    } catch (err) {
      // The chunk fences its partition again and fails (and is retried) if that still fails.
      this.deps.logger.warn({ err, stage: this.def.stage, partitions }, 'fencing failed');
    }
  }

  /** The committed offset of the partition, read once per assignment after its fencing. */
  private async floorOf(partition: number): Promise<bigint> {
    const known = this.floors.get(partition);
    if (known && known.generation === this.generation) return known.offset;
    const generation = this.generation;
    await this.fencing;
    await this.transactions!.fence(partition);
    const committed = await this.committedOffset(partition, this.transactions!.stableOffsets);
    const offset = BigInt(committed);
    this.floors.set(partition, { generation, offset });
    this.deps.logger.info(
      { stage: this.def.stage, partition, generation, committed },
      'fenced the partition and read its committed offset',
    );
    return offset;
  }

  /**
   * The partition's committed offset ('-1' when none). `stable`: while a transaction holding
   * offsets of the partition is open (its previous owner's, under exactly-once v2), the
   * coordinator answers UNSTABLE_OFFSET_COMMIT, and this waits for it to end: committed, or
   * aborted by its producer or by the coordinator once its timeout passed.
   */
  private async committedOffset(partition: number, stable: boolean): Promise<string> {
    const { groupId, topic, stage } = this.def;
    const [offsets] = await retryWhile(
      () =>
        this.admin!.fetchOffsets({
          groupId,
          topics: [{ topic, partitions: [partition] }],
          requireStable: stable,
        }),
      {
        worthRetrying: (err) => (err as { type?: string }).type === 'UNSTABLE_OFFSET_COMMIT',
        timeoutMs: UNSTABLE_OFFSETS_WAIT_MS,
        initialDelayMs: 20,
        maxDelayMs: 500,
        now: this.now,
        onRetry: ({ attempt }) => {
          if (attempt !== 1) return;
          this.deps.logger.info(
            { stage, topic, partition },
            "waiting for the open transaction that holds the partition's offsets to end",
          );
        },
      },
    );
    return offsets?.partitions.find((p) => p.partition === partition)?.offset ?? '-1';
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const { stage, topic } = this.def;
    const { partition } = batch;
    const generation = this.generation;
    const member = this.member;
    if (this.transactions?.stableOffsets && !this.assignment.has(partition)) {
      // A batch fetched before a rebalance that took its partition away: its new owner reads it.
      return;
    }
    const endTimer = this.deps.metrics.batchDuration.startTimer({ stage });
    const chunkSize = this.def.chunkSize ?? 500;
    let messages = batch.messages;
    if (this.transactions) {
      const floor = await this.floorOf(partition);
      messages = messages.filter((m) => BigInt(m.offset) >= floor);
      if (messages.length < batch.messages.length) {
        this.deps.logger.info(
          { stage, topic, partition, skipped: batch.messages.length - messages.length },
          "records the partition's previous owner committed: skipped",
        );
        if (messages.length === 0) resolveOffset(batch.lastOffset());
      }
    }
    // At least once: a chunk's offsets are committed in the background, in order, while the next
    // chunk is handled; each commit is sent only after its chunk's outputs were acknowledged, and
    // the batch ends only when its last commit is done. A failed commit stops the batch (its
    // error is rethrown), and the partition is read again from its last committed offset.
    let commits: Promise<void> = Promise.resolve();
    let commitFailed: { error: unknown } | null = null;
    try {
      for (let i = 0; i < messages.length; i += chunkSize) {
        if (commitFailed) break;
        if (this.stopping || !isRunning() || isStale()) break;
        const prepared = await this.prepareChunk(partition, messages.slice(i, i + chunkSize));
        const gate = this.gate(prepared);
        const ready = gate.kind === 'wait' ? prepared.slice(0, gate.ready) : prepared;
        if (ready.length > 0) {
          const chunk = { topic, partition };
          // Tracing on: each record's span, ended once the chunk's outputs are acknowledged.
          const spans: LeadSpan[] | null = this.tracer ? [] : null;
          try {
            await this.def.beforeChunk?.(chunk);
            const records = await this.processChunk(ready, spans);
            const extra = await this.def.afterChunk?.(chunk);
            if (extra) records.push(...extra.map((o) => this.encode(o)));
            const last = ready[ready.length - 1]!.message.offset;
            const next = (BigInt(last) + 1n).toString();
            if (this.transactions) {
              const offsets = { groupId: this.def.groupId, topic, partition, offset: next };
              try {
                await this.transactions.commit(partition, records, offsets, member);
              } catch (err) {
                // Whether the transaction took effect is unknown now: the chunk is read again, and
                // before that the partition is fenced again, its committed offset read again and
                // the stage's state (built while handling the chunk) dropped.
                this.floors.delete(partition);
                this.def.onTransactionFailed?.(chunk);
                throw err;
              }
            } else {
              await this.deps.producer.sendTogether(records);
            }
            if (spans) endSpans(spans, null);
            countProduced(this.deps.metrics, records);
            resolveOffset(last);
            if (!this.transactions) {
              commits = commits.then(() => this.commits.add({ topic, partition, offset: next }));
              commits.catch((error: unknown) => (commitFailed ??= { error }));
            }
            // Past the batch's last record come its transactions' markers (offsets no record
            // has): counted as consumed, a transactional input at rest shows lag 0, not 1 per
            // partition (kafkajs' lastOffset() includes the control records it fetched).
            const whole = ready.length === prepared.length && i + chunkSize >= messages.length;
            const end = whole ? BigInt(batch.lastOffset()) : BigInt(last);
            const lag =
              BigInt(batch.highWatermark) - (end > BigInt(last) ? end : BigInt(last)) - 1n;
            this.deps.metrics.consumerLag.set(
              { stage, topic, partition: String(partition) },
              Number(lag < 0n ? 0n : lag),
            );
          } catch (err) {
            if (spans) endSpans(spans, err);
            throw err;
          }
        }
        if (gate.kind === 'wait') {
          // A batch of an assignment that has since changed leaves the partition alone: the new
          // assignment reads it again from the committed offset and gates it afresh.
          if (generation === this.generation && !this.stopping && isRunning()) {
            this.waitUntilDue(partition, prepared[gate.ready]!.message.offset, gate);
          }
          break;
        }
        await heartbeat();
      }
    } catch (err) {
      // The commits already sent finish first: they are of acknowledged outputs.
      await commits.catch(() => undefined);
      throw err;
    }
    await commits;
    endTimer();
  }

  /** Where the chunk stops for a record that is not due yet; every record is due without `dueAt`. */
  private gate(prepared: PreparedRecord<In>[]): DueGate {
    const { dueAt } = this.def;
    if (!dueAt) return { kind: 'all-due' };
    const dueTimes = prepared.map(({ decoded, record, skipped }) => {
      // A record that cannot be decoded, or whose due time cannot be read, is due now: the
      // handler dead-letters it rather than the partition waiting on it forever. A skipped one is
      // due now too: nothing waits on a record that produces nothing.
      if (!decoded.ok || skipped) return null;
      try {
        return dueAt(decoded.input, record);
      } catch {
        return null;
      }
    });
    return gateByDueTime(dueTimes, this.now());
  }

  /**
   * Leaves the record in Kafka until it is due: the partition is paused (kafkajs drops what a
   * fetch already brought for it and fetches it no more), the consumer seeks back to the record so
   * the next fetch after the resume starts there, and one timer per partition resumes it. The
   * committed offset stays at the record, so a restart or a rebalance reads it again and it waits
   * again; nothing is produced while it waits, and heartbeats go on from kafkajs' fetch loop.
   */
  private waitUntilDue(partition: number, offset: string, gate: DueGate & { kind: 'wait' }) {
    const { topic } = this.def;
    const topicPartition = [{ topic, partitions: [partition] }];
    this.consumer.pause(topicPartition);
    this.consumer.seek({ topic, partition, offset });
    clearTimeout(this.waiting.get(partition));
    const timer = setTimeout(() => {
      this.waiting.delete(partition);
      if (!this.stopping) this.consumer.resume(topicPartition);
    }, gate.waitMs);
    this.waiting.set(partition, timer);
    this.deps.logger.debug(
      { stage: this.def.stage, topic, partition, offset, dueAt: gate.dueAt, waitMs: gate.waitMs },
      'partition paused until its next record is due',
    );
  }

  /**
   * Clears every resume timer. On a rebalance the partitions are also resumed: kafkajs keeps a
   * partition's pause across a new assignment, and without its timer it would stay paused for
   * good; its waiting record is read again from the committed offset and waits again if need be.
   */
  private releaseWaiting(resume: boolean): void {
    const partitions = [...this.waiting.keys()];
    for (const timer of this.waiting.values()) clearTimeout(timer);
    this.waiting.clear();
    if (resume && partitions.length > 0 && !this.stopping) {
      this.consumer.resume([{ topic: this.def.topic, partitions }]);
    }
  }

  /**
   * Decodes a chunk: in one synchronous pass when the writer schema of every record is known
   * (the usual case: one promise per chunk rather than one per record), else record by record,
   * fetching the schemas this process has not seen from the registry.
   */
  private prepareChunk(
    partition: number,
    messages: readonly KafkaMessage[],
  ): PreparedRecord<In>[] | Promise<PreparedRecord<In>[]> {
    const { codec } = this.deps;
    const { schema } = this.def;
    if (messages.every((m) => codec.canDecodeSync(m.value))) {
      return messages.map((m) =>
        this.prepared(partition, m, () => codec.decodeSync<In>(m.value, schema)),
      );
    }
    return Promise.all(
      messages.map(async (m) => {
        let decoded: { ok: true; input: In } | { ok: false; error: unknown };
        try {
          decoded = { ok: true, input: await codec.decode<In>(m.value, schema) };
        } catch (error) {
          decoded = { ok: false, error };
        }
        return this.prepared(partition, m, () => {
          if (!decoded.ok) throw decoded.error;
          return decoded.input;
        });
      }),
    );
  }

  private prepared(partition: number, message: KafkaMessage, decode: () => In): PreparedRecord<In> {
    const headers = headersToStrings(message.headers);
    const record: RecordContext = {
      topic: this.def.topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers,
      attempts: attemptOf(headers),
      // Tracing off: the record's own trace headers, passed on unchanged to what it produces.
      traceHeaders: traceHeadersOf(headers),
    };
    let input: In;
    try {
      input = decode();
    } catch (error) {
      return { message, record, decoded: { ok: false, error }, skipped: false };
    }
    const skipped = this.deps.skip?.(input, record) ?? false;
    return { message, record, decoded: { ok: true, input }, skipped };
  }

  /**
   * Handles a chunk's records and counts them in the stage metrics once for the chunk: the
   * records counter by the chunk's totals per outcome, the latency histogram with one record of
   * the chunk (its first handled one), so the metrics cost a few calls per chunk, not per record.
   */
  private async processChunk(
    prepared: PreparedRecord<In>[],
    spans: LeadSpan[] | null,
  ): Promise<OutgoingRecord[]> {
    const { stage, topic } = this.def;
    const tally = { ok: 0, dlq: 0, erased: 0 };
    let sampled = false;
    const perMessage = await mapKeyed(
      prepared,
      this.def.concurrency ?? 1,
      (p) => (p.message.key ? p.message.key.toString() : null),
      async (p) => {
        const timed = !sampled && !(p.skipped && p.decoded.ok);
        if (timed) sampled = true;
        const startedAt = timed ? performance.now() : 0;
        const { outcome, outputs } = await this.processOne(p, spans);
        if (timed) {
          this.deps.metrics.stageLatency.observe({ stage }, (performance.now() - startedAt) / 1000);
        }
        tally[outcome]++;
        return outputs;
      },
    );
    for (const outcome of ['ok', 'dlq', 'erased'] as const) {
      if (tally[outcome] > 0)
        this.deps.metrics.records.inc({ stage, topic, outcome }, tally[outcome]);
    }
    return perMessage.flat();
  }

  private async processOne(
    { message, record, decoded, skipped }: PreparedRecord<In>,
    spans: LeadSpan[] | null,
  ): Promise<{ outcome: 'ok' | 'dlq' | 'erased'; outputs: OutgoingRecord[] }> {
    const { stage, topic } = this.def;
    const { partition } = record;
    const { metrics } = this.deps;
    if (skipped && decoded.ok) {
      this.deps.logger.info(
        { leadId: this.def.leadIdOf(decoded.input), topic, partition, offset: message.offset },
        'record of a person who asked to be forgotten: skipped',
      );
      return { outcome: 'erased', outputs: [] };
    }
    const input = decoded.ok ? decoded.input : undefined;
    const span = spans ? this.startSpan(record, input) : undefined;
    if (span) {
      spans!.push(span);
      record.span = span;
      record.traceHeaders = span.headers;
    }
    const trace = record.traceHeaders ?? NO_TRACE_HEADERS;
    let outcome: HandlerOutcome;
    try {
      if (!decoded.ok) throw decoded.error;
      outcome = { kind: 'returned', result: await this.def.handle(decoded.input, record) };
    } catch (error) {
      outcome = { kind: 'threw', error };
    }
    const leadId = () => (input !== undefined ? this.def.leadIdOf(input) : null);
    let decision = decideRecord({ stage, record, outcome, leadId, now: this.now() });
    if (decision.kind === 'retry') {
      span?.event(SPAN_EVENTS.retried, { [SPAN_ATTRIBUTES.attempt]: record.attempts });
      throw decision.error;
    }

    if (decision.kind === 'produce') {
      const outputs = decision.outputs.map((o) => this.encode(o, trace));
      const { limits } = this;
      // Asked only while a topic is unknown: no array a record once every limit is read.
      if (outputs.some((o) => !limits.has(o.topic))) {
        const loading = limits.load(outputs.map((o) => o.topic));
        if (loading) await loading;
      }
      const tooLarge = outputs.find((o) => recordBytes(o) > limits.maxRecordBytes(o.topic));
      if (!tooLarge) return { outcome: 'ok', outputs };
      // The broker would refuse it every time: the input goes to the DLQ, with its own bytes.
      const failure = {
        code: 'output_too_large',
        error:
          `its output to ${tooLarge.topic} is ${recordBytes(tooLarge)} bytes, over the ` +
          `${limits.maxRecordBytes(tooLarge.topic)} a record may have there (the topic's ` +
          `max.message.bytes, ${limits.maxMessageBytes(tooLarge.topic)}, less a batch's header)`,
        attempts: record.attempts,
        leadId: leadId(),
      };
      decision = {
        kind: 'dead-letter',
        outputs: [],
        letter: deadLetter(stage, record, failure, this.now()),
      };
    }
    const { letter } = decision;
    const { dlqTopic } = this.def;
    const dead: OutgoingRecord = {
      topic: dlqTopic,
      key: message.key,
      value: this.deps.codec.encode(dlqTopic, letter),
      // The dead letter keeps the trace: a replay of it continues the lead's trace.
      headers: withTraceHeaders(trace, undefined),
    };
    const loading = this.limits.load([dlqTopic]);
    if (loading) await loading;
    const bytes = recordBytes(dead);
    if (bytes > this.limits.maxRecordBytes(dlqTopic)) {
      // The DLQ may have been raised for it since its limit was read: read it again (once a
      // minute at most, while the record waits).
      const rereading = this.limits.refresh(dlqTopic);
      if (rereading) await rereading;
    }
    if (bytes > this.limits.maxRecordBytes(dlqTopic)) {
      // Written without its bytes, the record would be lost when its topic's retention ends;
      // dropped, lost now. So it stays where it is, and its partition waits on it (counted and
      // logged at each try) until the DLQ takes it.
      metrics.errors.inc({ stage, code: 'dead_letter_too_large' });
      const error = new Error(
        `the dead letter of ${topic}[${partition}]@${message.offset} (${letter.error_code}) is ` +
          `${bytes} bytes, over the ${this.limits.maxRecordBytes(dlqTopic)} a record may have on ` +
          `${dlqTopic} (its max.message.bytes, ${this.limits.maxMessageBytes(dlqTopic)}, less a ` +
          `batch's header): the partition waits on it until ${dlqTopic}'s max.message.bytes is ` +
          `raised to at least ${bytes + RECORD_BATCH_HEADER_BYTES} (read again once a minute)`,
      );
      this.deps.logger.error(
        { leadId: letter.lead_id, topic, partition, offset: message.offset, dlqTopic, bytes },
        error.message,
      );
      throw error;
    }
    if (span) {
      span.event(SPAN_EVENTS.deadLettered, {
        [SPAN_ATTRIBUTES.errorCode]: letter.error_code,
        'messaging.destination.name': dlqTopic,
      });
      span.fail(letter.error_code);
    }
    metrics.errors.inc({ stage, code: letter.error_code });
    this.deps.logger.warn(
      {
        leadId: letter.lead_id,
        topic,
        partition,
        offset: message.offset,
        code: letter.error_code,
        reason: letter.error,
      },
      'record sent to the DLQ',
    );
    return {
      outcome: 'dlq',
      outputs: [...decision.outputs.map((o) => this.encode(o, trace)), dead],
    };
  }

  /**
   * The record's span, a consumer span whose parent is the record's `traceparent`. kafkajs
   * instrumentation would give one span per fetched batch in kafkajs' own context, which neither
   * matches a record of a chunk handled with others nor carries over to the outputs produced later
   * through the shared BatchingProducer; so the runner starts its own.
   */
  private startSpan(record: RecordContext, input: In | undefined): LeadSpan {
    const { stage, groupId } = this.def;
    const leadId = input !== undefined ? this.def.leadIdOf(input) : null;
    return this.tracer!.start(`${stage} process`, {
      role: 'consumer',
      parent: traceHeadersOf(record.headers),
      attributes: {
        'messaging.system': 'kafka',
        'messaging.operation.type': 'process',
        'messaging.destination.name': record.topic,
        'messaging.destination.partition.id': String(record.partition),
        'messaging.kafka.offset': Number(record.offset),
        'messaging.consumer.group.name': groupId,
        [SPAN_ATTRIBUTES.stage]: stage,
        [SPAN_ATTRIBUTES.attempt]: record.attempts,
        ...(leadId !== null ? { [SPAN_ATTRIBUTES.leadId]: leadId } : {}),
      },
    });
  }

  private encode(output: StageOutput, trace: TraceHeaders = NO_TRACE_HEADERS): OutgoingRecord {
    return {
      topic: output.topic,
      key: output.key,
      // A null value is a tombstone (a compacted changelog's key deleted), written as Kafka's null.
      value: output.value === null ? null : this.deps.codec.encode(output.topic, output.value),
      headers: withTraceHeaders(trace, output.headers),
    };
  }
}

/** Ends a chunk's record spans: failed, when the chunk is to be read again. */
function endSpans(spans: readonly LeadSpan[], error: unknown): void {
  for (const span of spans) {
    if (error !== null) span.fail('chunk_failed', error instanceof Error ? error.name : undefined);
    span.end();
  }
}

/** The records produced (acknowledged by the broker), counted once per topic of the chunk. */
function countProduced(metrics: StageMetrics, records: readonly OutgoingRecord[]): void {
  const byTopic = new Map<string, number>();
  for (const r of records) byTopic.set(r.topic, (byTopic.get(r.topic) ?? 0) + 1);
  for (const [topic, count] of byTopic) metrics.produced.inc({ topic }, count);
}

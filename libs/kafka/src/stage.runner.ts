import type { Logger, StageMetrics } from '@lead-router/observability';
import type { SchemaName } from '@lead-router/schemas';
import type { Consumer, EachBatchPayload, IHeaders, Kafka, KafkaMessage } from 'kafkajs';
import type { AvroCodec } from './avro.codec';
import type { BatchingProducer, OutgoingRecord } from './batching.producer';
import { deadLetter, type SourceRecord } from './dead-letter';
import { LeadRouterError, errorMessage, isRetriable } from './errors';

export interface RecordContext extends SourceRecord {
  /** Attempts so far for this record (1 on first processing, more after a DLQ replay). */
  attempts: number;
}

/** A record a stage hands on; the runner encodes `value` with the topic's registered schema. */
export interface StageOutput {
  topic: string;
  key: string;
  value: unknown;
  headers?: Record<string, string>;
}

export type StageResult =
  | { kind: 'ok'; outputs: StageOutput[] }
  | {
      kind: 'dead';
      code: string;
      error: string;
      attempts?: number;
      leadId?: string | null;
      /** Records to produce besides the dead letter (a FAILED delivery outcome, say). */
      outputs?: StageOutput[];
    };

export interface StageDefinition<In> {
  /** The stage name: consumer group id (with the topic prefix) and metric label. */
  stage: string;
  groupId: string;
  topic: string;
  schema: SchemaName;
  dlqTopic: string;
  handle(input: In, ctx: RecordContext): StageResult | Promise<StageResult>;
  leadIdOf(input: In): string | null;
  /** Records handled at once within a partition's batch; records of one key stay in order. */
  concurrency?: number;
  /** Partitions processed at once (kafkajs partitionsConsumedConcurrently). */
  partitionsConcurrently?: number;
  /** Commit after at most this many records, so a large batch makes steady progress. */
  chunkSize?: number;
  /** The group's session timeout: how soon a killed instance's partitions move on. */
  sessionTimeoutMs?: number;
  /**
   * Called after the handler saw every record of a chunk and before its outputs are produced and
   * its offsets committed: a stage that writes elsewhere (a database) flushes its writes here, so
   * a failure leaves the offsets uncommitted and the chunk is processed again.
   */
  afterChunk?: () => Promise<StageOutput[] | void>;
  /** Called before each chunk is handled (a stateful stage restores its state here). */
  beforeChunk?: () => Promise<void>;
  /** Called when this instance (re)joins the group: its partitions may have changed. */
  onGroupJoin?: () => void;
}

export interface StageRunnerDeps {
  kafka: Kafka;
  producer: BatchingProducer;
  codec: AvroCodec;
  metrics: StageMetrics;
  logger: Logger;
  now?: () => number;
}

export const ATTEMPTS_HEADER = 'lr-attempts';

/**
 * Runs one pipeline stage as a consumer group with kafkajs `eachBatch`: decode each record,
 * call the pure handler, produce its outputs (and dead letters) with the idempotent producer,
 * and commit the batch's offsets only after the broker acknowledged those outputs. A crash at
 * any point replays from the last commit: at-least-once, with idempotent consumers downstream.
 */
export class StageRunner<In> {
  private readonly consumer: Consumer;
  private readonly now: () => number;
  private crashed: Error | null = null;
  private started = false;
  private stopping = false;
  private readonly inFlight = new Set<Promise<void>>();

  constructor(
    private readonly def: StageDefinition<In>,
    private readonly deps: StageRunnerDeps,
  ) {
    this.now = deps.now ?? Date.now;
    this.consumer = deps.kafka.consumer({
      groupId: def.groupId,
      allowAutoTopicCreation: false,
      sessionTimeout: def.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: Math.min(3_000, Math.floor((def.sessionTimeoutMs ?? 30_000) / 3)),
      maxBytesPerPartition: 1_048_576,
      maxWaitTimeInMs: 100,
    });
    this.consumer.on(this.consumer.events.GROUP_JOIN, () => def.onGroupJoin?.());
    this.consumer.on(this.consumer.events.CRASH, ({ payload }) => {
      deps.logger.error({ err: payload.error, restart: payload.restart }, 'consumer crashed');
      if (!payload.restart) this.crashed = payload.error;
    });
  }

  /** Healthy while the consumer runs and has not crashed for good. */
  get healthy(): boolean {
    return this.started && this.crashed === null;
  }

  async start(): Promise<void> {
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: this.def.topic, fromBeginning: true });
    await this.consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: this.def.partitionsConcurrently ?? 3,
      eachBatch: (payload) => {
        const batch = this.onBatch(payload);
        this.inFlight.add(batch);
        void batch.catch(() => undefined).finally(() => this.inFlight.delete(batch));
        return batch;
      },
    });
    this.started = true;
  }

  /**
   * Finishes the chunks in flight (outputs acknowledged, offsets committed), then leaves the
   * group. kafkajs' disconnect does not always wait for a running eachBatch when partitions are
   * consumed concurrently, so the runner waits for its own batches first and starts no new chunk.
   */
  async stop(): Promise<void> {
    this.stopping = true;
    this.consumer.pause([{ topic: this.def.topic }]);
    await Promise.allSettled([...this.inFlight]);
    await this.consumer.disconnect();
    this.started = false;
  }

  private async onBatch({ batch, resolveOffset, heartbeat, isRunning, isStale }: EachBatchPayload) {
    const { stage, topic } = this.def;
    const endTimer = this.deps.metrics.batchDuration.startTimer({ stage });
    const chunkSize = this.def.chunkSize ?? 500;
    for (let i = 0; i < batch.messages.length; i += chunkSize) {
      if (this.stopping || !isRunning() || isStale()) break;
      const chunk = batch.messages.slice(i, i + chunkSize);
      await this.def.beforeChunk?.();
      const records = await this.processChunk(batch.partition, chunk);
      const extra = await this.def.afterChunk?.();
      if (extra) records.push(...extra.map((o) => this.encode(o)));
      await this.deps.producer.sendAll(records);
      for (const r of records) this.deps.metrics.produced.inc({ topic: r.topic });
      const last = chunk[chunk.length - 1]!.offset;
      resolveOffset(last);
      await this.consumer.commitOffsets([
        { topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
      ]);
      const lag = BigInt(batch.highWatermark) - BigInt(last) - 1n;
      this.deps.metrics.consumerLag.set(
        { stage, topic, partition: String(batch.partition) },
        Number(lag < 0n ? 0n : lag),
      );
      await heartbeat();
    }
    endTimer();
  }

  private async processChunk(
    partition: number,
    messages: KafkaMessage[],
  ): Promise<OutgoingRecord[]> {
    const perMessage = await mapKeyed(
      messages,
      this.def.concurrency ?? 1,
      (m) => (m.key ? m.key.toString() : null),
      (m) => this.processOne(partition, m),
    );
    return perMessage.flat();
  }

  private async processOne(partition: number, message: KafkaMessage): Promise<OutgoingRecord[]> {
    const { stage, topic, schema } = this.def;
    const { metrics } = this.deps;
    const headers = headersToStrings(message.headers);
    const source: RecordContext = {
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers,
      // A DLQ replay carries the attempts so far; this processing is one more.
      attempts: Number(headers[ATTEMPTS_HEADER] ?? '0') + 1,
    };
    const endTimer = metrics.stageLatency.startTimer({ stage });
    let input: In | undefined;
    let result: StageResult;
    try {
      input = await this.deps.codec.decode<In>(message.value, schema);
      result = await this.def.handle(input, source);
    } catch (err) {
      if (isRetriable(err)) throw err;
      result = {
        kind: 'dead',
        code: err instanceof LeadRouterError ? err.code : 'handler_failed',
        error: errorMessage(err),
      };
    }
    endTimer();

    if (result.kind === 'ok') {
      metrics.records.inc({ stage, topic, outcome: 'ok' });
      return result.outputs.map((o) => this.encode(o));
    }
    const leadId = result.leadId ?? (input !== undefined ? this.def.leadIdOf(input) : null);
    metrics.records.inc({ stage, topic, outcome: 'dlq' });
    metrics.errors.inc({ stage, code: result.code });
    this.deps.logger.warn(
      { leadId, topic, partition, offset: message.offset, code: result.code, reason: result.error },
      'record sent to the DLQ',
    );
    const dead = deadLetter(
      stage,
      source,
      {
        code: result.code,
        error: result.error,
        attempts: result.attempts ?? source.attempts,
        leadId,
      },
      this.now(),
    );
    return [
      ...(result.outputs ?? []).map((o) => this.encode(o)),
      {
        topic: this.def.dlqTopic,
        key: message.key,
        value: this.deps.codec.encode(this.def.dlqTopic, dead),
      },
    ];
  }

  private encode(output: StageOutput): OutgoingRecord {
    return {
      topic: output.topic,
      key: output.key,
      value: this.deps.codec.encode(output.topic, output.value),
      headers: output.headers,
    };
  }
}

export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return out;
}

/**
 * Maps items with at most `limit` in flight, keeping items that share a key in their original
 * order (one lead's events must not overtake each other). Results come back in input order.
 */
export async function mapKeyed<T, R>(
  items: readonly T[],
  limit: number,
  keyOf: (item: T) => string | null,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  if (limit <= 1) {
    const out: R[] = [];
    for (const item of items) out.push(await fn(item));
    return out;
  }
  const results = new Array<R>(items.length);
  const tails = new Map<string, Promise<unknown>>();
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = async () => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
  };
  const release = () => {
    active--;
    waiting.shift()?.();
  };
  const all = items.map((item, index) => {
    const key = keyOf(item);
    const previous = key !== null ? tails.get(key) : undefined;
    const run = (async () => {
      if (previous) await previous.catch(() => undefined);
      await acquire();
      try {
        results[index] = await fn(item);
      } finally {
        release();
      }
    })();
    if (key !== null) tails.set(key, run);
    return run;
  });
  await Promise.all(all);
  return results;
}

import type { Logger, StageMetrics } from '@lead-router/observability';
import type { Consumer, EachBatchPayload, Kafka, KafkaMessage } from 'kafkajs';
import type { AvroCodec } from './avro.codec';
import type { BatchingProducer, OutgoingRecord } from './batching.producer';
import { decideRecord, type HandlerOutcome } from './dead-letter.policy';
import { mapKeyed } from './keyed.concurrency';
import { attemptOf, headersToStrings } from './record.headers';
import type { RecordContext, StageDefinition, StageOutput } from './stage.definition';

export interface StageRunnerDeps {
  kafka: Kafka;
  producer: BatchingProducer;
  codec: AvroCodec;
  metrics: StageMetrics;
  logger: Logger;
  now?: () => number;
}

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
    const record: RecordContext = {
      topic,
      partition,
      offset: message.offset,
      key: message.key,
      value: message.value,
      headers,
      attempts: attemptOf(headers),
    };
    const endTimer = metrics.stageLatency.startTimer({ stage });
    let input: In | undefined;
    let outcome: HandlerOutcome;
    try {
      input = await this.deps.codec.decode<In>(message.value, schema);
      outcome = { kind: 'returned', result: await this.def.handle(input, record) };
    } catch (error) {
      outcome = { kind: 'threw', error };
    }
    const decision = decideRecord({
      stage,
      record,
      outcome,
      leadId: () => (input !== undefined ? this.def.leadIdOf(input) : null),
      now: this.now(),
    });
    if (decision.kind === 'retry') throw decision.error;
    endTimer();

    if (decision.kind === 'produce') {
      metrics.records.inc({ stage, topic, outcome: 'ok' });
      return decision.outputs.map((o) => this.encode(o));
    }
    const { letter } = decision;
    metrics.records.inc({ stage, topic, outcome: 'dlq' });
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
    return [
      ...decision.outputs.map((o) => this.encode(o)),
      {
        topic: this.def.dlqTopic,
        key: message.key,
        value: this.deps.codec.encode(this.def.dlqTopic, letter),
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

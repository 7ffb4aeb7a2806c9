import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import {
  type AvroCodec,
  type BatchingProducer,
  type StageDefinition,
  StageRunner,
  ensureTopics,
} from '@lead-router/kafka';
import type { Logger, StageMetrics } from '@lead-router/observability';
import type { Kafka } from 'kafkajs';
import type { HealthProbe } from './health-probe';
import type { PrefixedTopics } from './platform.providers';
import { CODEC, KAFKA, LOGGER, PRODUCER, STAGE_METRICS, STAGES, TOPICS } from './tokens';

/**
 * Brings a service's Kafka side up and down in order: topics and schemas first, then the
 * producer, then the stage consumers; on SIGTERM the consumers finish and commit their batch in
 * flight before the producer flushes and disconnects.
 */
@Injectable()
export class PipelineLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly runners: StageRunner<unknown>[];

  constructor(
    @Inject(KAFKA) private readonly kafka: Kafka,
    @Inject(PRODUCER) private readonly producer: BatchingProducer,
    @Inject(CODEC) private readonly codec: AvroCodec,
    @Inject(TOPICS) private readonly topics: PrefixedTopics,
    @Inject(LOGGER) private readonly logger: Logger,
    @Inject(STAGE_METRICS) metrics: StageMetrics,
    @Inject(STAGES) stages: StageDefinition<unknown>[],
  ) {
    this.runners = stages.map(
      (def) => new StageRunner(def, { kafka, producer, codec, metrics, logger }),
    );
  }

  get probes(): HealthProbe[] {
    return [
      { name: 'kafka-producer', healthy: () => this.producer.isConnected },
      ...this.runners.map((r, i) => ({ name: `stage-${i}`, healthy: () => r.healthy })),
    ];
  }

  async onApplicationBootstrap(): Promise<void> {
    await ensureTopics(this.kafka, this.topics.declarations);
    await this.codec.register(this.topics.declarations);
    await this.producer.connect();
    for (const runner of this.runners) await runner.start();
    this.logger.info({ stages: this.runners.length }, 'pipeline started');
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.info({ signal }, 'draining: finishing batches in flight');
    for (const runner of this.runners) await runner.stop();
    await this.producer.disconnect();
    this.logger.info('drained and committed');
  }
}

import {
  Inject,
  Injectable,
  type BeforeApplicationShutdown,
  type OnApplicationBootstrap,
} from '@nestjs/common';
import type { PlatformConfig } from '@lead-router/config';
import {
  type AvroCodec,
  type BatchingProducer,
  type StageDefinition,
  StageRunner,
  ensureTopics,
  registerWhenReachable,
} from '@lead-router/kafka';
import type { Logger, StageMetrics } from '@lead-router/observability';
import type { Kafka } from 'kafkajs';
import type { HealthProbe } from './health-probe';
import type { PrefixedTopics } from './platform.providers';
import {
  CODEC,
  KAFKA,
  LOGGER,
  PLATFORM_CONFIG,
  PRODUCER,
  STAGE_METRICS,
  STAGES,
  TOPICS,
} from './tokens';

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
    @Inject(PLATFORM_CONFIG) private readonly config: PlatformConfig,
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
    // A registry that is down at start is waited for (each attempt logged with its URL), up to
    // SCHEMA_REGISTRY_START_TIMEOUT_SECONDS; past that the start fails and the process exits 1.
    await registerWhenReachable(() => this.codec.register(this.topics.declarations), {
      registryUrl: this.config.registryUrl,
      timeoutMs: this.config.registryStartTimeoutMs,
      logger: this.logger,
    });
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

import {
  Inject,
  Injectable,
  Optional,
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
import { personOf, type SuppressionList } from '@lead-router/privacy';
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
  SUPPRESSION_LIST,
  TOPICS,
} from './tokens';

/**
 * Brings a service's Kafka side up and down in order: topics and schemas first, then the
 * right-to-erasure requests, then the producer, then the stage consumers; on SIGTERM the
 * consumers finish and commit their batch in flight before the producer flushes and disconnects.
 * Every stage skips the records of a person the suppression list names, so no stage consumes
 * before the list has read every request.
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
    @Optional() @Inject(SUPPRESSION_LIST) private readonly suppression?: SuppressionList,
  ) {
    const skip = suppression
      ? (input: unknown) => suppression.suppresses(personOf(input))
      : undefined;
    // A stage on privacy.erasures itself acts on each request: the list names its subject, so
    // skipping its records would skip every request for a lead.
    this.runners = stages.map(
      (def) =>
        new StageRunner(def, {
          kafka,
          producer,
          codec,
          metrics,
          logger,
          skip: def.schema === 'ErasureRequest' ? undefined : skip,
        }),
    );
  }

  get probes(): HealthProbe[] {
    return [
      { name: 'kafka-producer', healthy: () => this.producer.isConnected },
      ...(this.suppression
        ? [{ name: 'erasure-requests', healthy: () => this.suppression!.healthy }]
        : []),
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
    if (this.suppression) await this.loadSuppression(this.suppression);
    await this.producer.connect();
    for (const runner of this.runners) await runner.start();
    this.logger.info({ stages: this.runners.length }, 'pipeline started');
  }

  /**
   * Reads every erasure request before a stage consumes, trying again with a doubling delay (0.5
   * to 10 s, each failure logged) until SCHEMA_REGISTRY_START_TIMEOUT_SECONDS; past that the start
   * fails and the process exits 1: a stage that cannot know whom to skip does not start.
   */
  private async loadSuppression(list: SuppressionList): Promise<void> {
    const deadline = Date.now() + this.config.registryStartTimeoutMs;
    for (let delay = 500, attempt = 1; ; attempt++, delay = Math.min(delay * 2, 10_000)) {
      const timeoutMs = Math.max(deadline - Date.now(), 1_000);
      try {
        await list.follow({
          kafka: this.kafka,
          codec: this.codec,
          topic: this.topics.topics.erasures,
          logger: this.logger,
          groupPrefix: `${this.config.topicPrefix}${this.config.kafka.clientId}`,
          timeoutMs,
        });
        return;
      } catch (err) {
        if (Date.now() + delay > deadline) throw err;
        this.logger.warn(
          { err, attempt, retryInMs: delay, topic: this.topics.topics.erasures },
          'erasure requests could not be read at start; no stage consumes until they are',
        );
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.info({ signal }, 'draining: finishing batches in flight');
    for (const runner of this.runners) await runner.stop();
    await this.suppression?.stop();
    await this.producer.disconnect();
    this.logger.info('drained and committed');
  }
}

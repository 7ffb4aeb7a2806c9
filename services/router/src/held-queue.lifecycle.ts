import { type AvroCodec, ensureTopics } from '@lead-router/kafka';
import { type Logger, createHeldQueueMetrics } from '@lead-router/observability';
import { HeldQueueConsumer } from '@lead-router/routing-runtime';
import {
  CODEC,
  KAFKA,
  LOGGER,
  METRICS_REGISTRY,
  TOPICS,
  type PrefixedTopics,
} from '@lead-router/service-kit';
import type { BeforeApplicationShutdown, OnApplicationBootstrap, Provider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import type { RouterConfig } from '@lead-router/pipeline-stages/router';

/**
 * Runs the held queue beside the router's stages: up once router.held and router.assign exist and
 * their schemas are registered (the stages' lifecycle does the same at the same time, both
 * harmlessly), down before Nest closes, its releases in flight finished.
 */
export class HeldQueueLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  constructor(
    readonly held: HeldQueueConsumer,
    private readonly kafka: Kafka,
    private readonly codec: AvroCodec,
    private readonly topics: PrefixedTopics,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    const { topics, declarations } = this.topics;
    const mine = declarations.filter((d) => d.name === topics.held || d.name === topics.assign);
    await ensureTopics(this.kafka, mine);
    await this.codec.register(mine);
    await this.held.start();
  }

  beforeApplicationShutdown(): Promise<void> {
    return this.held.stop();
  }
}

export function heldQueueProvider(config: RouterConfig, now: () => number = Date.now): Provider {
  return {
    provide: HeldQueueLifecycle,
    inject: [KAFKA, CODEC, TOPICS, LOGGER, METRICS_REGISTRY],
    useFactory: (
      kafka: Kafka,
      codec: AvroCodec,
      prefixed: PrefixedTopics,
      logger: Logger,
      registry: Registry,
    ) => {
      let held: HeldQueueConsumer | null = null;
      const metrics = createHeldQueueMetrics(registry, () => held?.queue.held() ?? []);
      held = new HeldQueueConsumer({
        kafka,
        codec,
        logger,
        groupId: config.groupId,
        topics: prefixed.topics,
        now,
        sessionTimeoutMs: config.sessionTimeoutMs,
        onReleased: (group, count) => metrics.released.inc({ queue_group: group }, count),
      });
      return new HeldQueueLifecycle(held, kafka, codec, prefixed);
    },
  };
}

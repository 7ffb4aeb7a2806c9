import type { AvroCodec, StageDefinition } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import {
  QueueStateStore,
  RulesRegistry,
  queueStateChangelog,
  routerStages,
} from '@lead-router/routing-runtime';
import {
  CODEC,
  KAFKA,
  LOGGER,
  STAGES,
  TOPICS,
  stageSettings,
  type PrefixedTopics,
} from '@lead-router/service-kit';
import { RulesFollowerLifecycle } from '@lead-router/sink-kit';
import type { FactoryProvider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { RouterConfig, RouterStep } from './router.config';

/**
 * The router's match and assign steps as stages (those of `steps`, by default the ones the
 * configuration names), with the queue-state store they share (the held queue runs beside them
 * in the router service: `heldQueueProvider`).
 */
export function routerStagesProvider(
  config: RouterConfig,
  now: () => number = Date.now,
  steps: readonly RouterStep[] = config.steps,
): FactoryProvider<StageDefinition<unknown>[]> {
  return {
    provide: STAGES,
    // The follower is injected so the registry has caught up before the stages exist.
    inject: [TOPICS, KAFKA, CODEC, RulesRegistry, LOGGER, RulesFollowerLifecycle],
    useFactory: (
      { topics }: PrefixedTopics,
      kafka: Kafka,
      codec: AvroCodec,
      rules: RulesRegistry,
      logger: Logger,
    ) => {
      const inputOf: Record<RouterStep, string> = { match: topics.enriched, assign: topics.assign };
      const wanted = new Set(steps.map((step) => inputOf[step]));
      return routerStages(stageSettings(config), {
        instance: config.instance,
        topics,
        rules,
        store: new QueueStateStore({
          topic: topics.queueState,
          readChangelog: queueStateChangelog(kafka, codec, topics.queueState),
          now,
        }),
        logger,
        now,
      }).filter((stage) => wanted.has(stage.topic));
    },
  };
}

import type { AvroCodec } from '@lead-router/kafka';
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
import type { Provider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { RouterConfig } from './router.config';

/**
 * The router's match and assign steps as stages, with the queue-state store they share (the held
 * queue runs beside them: `heldQueueProvider`).
 */
export function routerStagesProvider(config: RouterConfig, now: () => number = Date.now): Provider {
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
    ) =>
      routerStages(stageSettings(config), {
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
      }),
  };
}

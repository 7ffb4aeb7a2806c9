import type { AvroCodec } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import {
  QueueStateStore,
  RulesRegistry,
  RulesTopicFollower,
  loadRules,
  queueStateChangelog,
  routerStages,
} from '@lead-router/routing-runtime';
import { servedDestinationTypes } from '@lead-router/schemas';
import {
  CODEC,
  KAFKA,
  LOGGER,
  STAGES,
  TOPICS,
  stageSettings,
  type PrefixedTopics,
} from '@lead-router/service-kit';
import type { Provider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import type { RouterConfig } from './router.config';
import { RulesFollowerLifecycle } from './rules-follower.lifecycle';

/**
 * The rule-set registry from the configured file, and its follower of routing.rules, caught up
 * before any lead is routed.
 */
export function rulesProviders(config: RouterConfig): Provider[] {
  return [
    {
      provide: RulesRegistry,
      inject: [LOGGER],
      useFactory: (logger: Logger) => {
        // A rule set routing to a type no sink serves would leave its leads with no outcome.
        const served = servedDestinationTypes();
        return new RulesRegistry(loadRules(config.rulesFile, served), {
          logger,
          servedDestinationTypes: served,
        });
      },
    },
    {
      provide: RulesFollowerLifecycle,
      inject: [RulesRegistry, TOPICS, LOGGER, KAFKA, CODEC],
      useFactory: async (
        registry: RulesRegistry,
        { topics, declarations }: PrefixedTopics,
        logger: Logger,
        kafka: Kafka,
        codec: AvroCodec,
      ): Promise<RulesFollowerLifecycle> => {
        const follower = new RulesTopicFollower(registry, {
          kafka,
          codec,
          logger,
          topic: declarations.find((d) => d.name === topics.rules)!,
          groupPrefix: config.groupId,
        });
        await follower.start();
        logger.info(
          { ruleSet: registry.current.id, version: registry.current.version },
          'routing with rule set',
        );
        return new RulesFollowerLifecycle(follower);
      },
    },
  ];
}

/** The router's match, assign and held steps as stages, with the queue-state store they share. */
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

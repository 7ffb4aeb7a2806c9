import type { StageConfig } from '@lead-router/config';
import type { AvroCodec, StageDefinition } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import {
  DestinationCatalog,
  DestinationCatalogError,
  RulesRegistry,
  RulesTopicFollower,
  loadRules,
} from '@lead-router/routing-runtime';
import {
  retryTiers,
  serviceEntry,
  servedDestinationTypes,
  type RoutedLead,
  type SinkName,
} from '@lead-router/schemas';
import {
  CODEC,
  KAFKA,
  LOGGER,
  METRICS_REGISTRY,
  STAGES,
  TOPICS,
  stageSettings,
  type PrefixedTopics,
} from '@lead-router/service-kit';
import {
  type CommonDestinationConfig,
  type ConfigResolver,
  LimiterDestinationGate,
  type SinkAdapter,
  createSinkMetrics,
  sinkStages,
} from '@lead-router/sink-runtime';
import type { Provider } from '@nestjs/common';
import Redis from 'ioredis';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import { checkDestinationCredentials } from './destination-credentials.check';
import { RulesFollowerLifecycle, SinkRedis } from './sink.lifecycles';
import type { SinkSettings } from './sink.settings';

/** The sink's adapter: each sink provides it, injecting what it needs. */
export const SINK_ADAPTER = Symbol('SINK_ADAPTER');

export type SinkServiceConfig = StageConfig & { readonly sink: SinkSettings };

/**
 * The rule-set registry seeded from the rules file, and its follower of routing.rules, caught up
 * before any lead is handled: what the router and every sink wire alike. A rule set routing to a
 * type no sink serves is refused, since its leads would end with no outcome.
 */
export function rulesProviders(settings: { rulesFile: string; groupId: string }): Provider[] {
  return [
    {
      provide: RulesRegistry,
      inject: [LOGGER],
      useFactory: (logger: Logger) => {
        const served = servedDestinationTypes();
        return new RulesRegistry(loadRules(settings.rulesFile, served), {
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
          groupPrefix: settings.groupId,
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

/**
 * What every sink on the shared layer needs besides its adapter: the rule-set registry and its
 * follower (`rulesProviders`), the destination catalog over it, and the Redis connection for
 * budgets and parking.
 */
export function sinkRuntimeProviders(config: SinkServiceConfig): Provider[] {
  return [
    ...rulesProviders({ rulesFile: config.sink.rulesFile, groupId: config.groupId }),
    {
      provide: DestinationCatalog,
      inject: [RulesRegistry],
      useFactory: (registry: RulesRegistry) => new DestinationCatalog(registry),
    },
    {
      provide: SinkRedis,
      useFactory: () =>
        new SinkRedis(
          new Redis(config.sink.redisUrl, {
            lazyConnect: false,
            maxRetriesPerRequest: 3,
            // Every delivery asks Redis whether its destination is parked and takes its budget:
            // the commands the deliveries of one round issue in one turn of the event loop go
            // out in one write (a write to a socket is most of what a command costs the sink).
            enableAutoPipelining: true,
          }),
        ),
    },
  ];
}

/**
 * The sink's stages (leads.routed and its retry tiers, `sinkStages`) around the adapter the
 * service provides as SINK_ADAPTER, with destinations configured by the rule-set version that
 * routed each lead. Budgets and parking live in Redis under the topic prefix and the sink's name.
 * Outside demo mode the sink first reads every credential the active rule set's destinations of
 * its types reference, and does not start when one is missing (`checkDestinationCredentials`).
 */
export function sinkStagesProvider<C extends CommonDestinationConfig>(
  sink: SinkName,
  config: SinkServiceConfig,
): Provider {
  return {
    provide: STAGES,
    // The follower is injected so the registry has caught up before the stages exist.
    inject: [
      TOPICS,
      METRICS_REGISTRY,
      LOGGER,
      SinkRedis,
      DestinationCatalog,
      SINK_ADAPTER,
      RulesRegistry,
      RulesFollowerLifecycle,
    ],
    useFactory: (
      { topics }: PrefixedTopics,
      registry: Registry,
      logger: Logger,
      redis: SinkRedis,
      catalog: DestinationCatalog,
      adapter: SinkAdapter<C>,
      rules: RulesRegistry,
    ): StageDefinition<RoutedLead>[] => {
      if (config.platform.mode !== 'demo') {
        checkDestinationCredentials(
          rules.current.destinations,
          serviceEntry(sink).destinationTypes,
        );
      }
      const { groupId, concurrency, sessionTimeoutMs, partitionsConcurrently, fetch } =
        stageSettings(config);
      return sinkStages<C>({
        sink,
        adapter,
        resolveConfig: catalogResolver<C>(catalog),
        gate: new LimiterDestinationGate({
          kind: 'redis',
          client: redis.client,
          keyPrefix: `lead-router:${config.platform.topicPrefix}${sink}`,
        }),
        metrics: createSinkMetrics(registry),
        logger,
        topics: {
          routed: topics.routed,
          delivered: topics.delivered,
          attempts: topics.attempts,
          dlq: topics.dlq,
          tiers: retryTiers(sink, config.platform.topicPrefix),
        },
        maxInFlight: config.sink.maxInFlight,
        budgetWaitMs: config.sink.budgetWaitMs,
        requestTimeoutMs: config.sink.requestTimeoutMs,
        groupId,
        dlqTopic: topics.dlq,
        batching: {
          ...config.sink.batching,
          ...(partitionsConcurrently !== undefined ? { partitionsConcurrently } : {}),
        },
        settings: {
          ...(concurrency !== undefined ? { concurrency } : {}),
          ...(sessionTimeoutMs !== undefined ? { sessionTimeoutMs } : {}),
        },
        ...(fetch !== undefined ? { tierFetch: fetch } : {}),
      });
    },
  };
}

/**
 * The layer's config resolver over the catalog: a destination its rule-set version does not
 * name (or names with another type) is unknown, so the lead fails with that message; a version
 * not seen yet throws the catalog's retriable error, so the chunk is processed again.
 */
export function catalogResolver<C extends CommonDestinationConfig>(
  catalog: Pick<DestinationCatalog, 'destination'>,
): ConfigResolver<C> {
  return async (lead, name) => {
    try {
      return (await catalog.destination(lead.decision, name)) as unknown as C;
    } catch (error) {
      if (error instanceof DestinationCatalogError && !error.retriable) return undefined;
      throw error;
    }
  };
}

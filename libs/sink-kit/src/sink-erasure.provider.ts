import type { StageDefinition } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import { RulesRegistry } from '@lead-router/routing-runtime';
import type { SinkName } from '@lead-router/schemas';
import {
  LOGGER,
  METRICS_REGISTRY,
  STAGES,
  TOPICS,
  type PrefixedTopics,
} from '@lead-router/service-kit';
import { type SinkAdapter, sinkErasureStage } from '@lead-router/sink-runtime';
import type { FactoryProvider, Provider } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { SINK_ADAPTER, type SinkServiceConfig } from './sink.providers';

/**
 * The sink's stages (`stages`, its STAGES provider) and one more on privacy.erasures
 * (`sinkErasureStage`): the adapter deletes what it wrote about a forgotten person, or, for a
 * sink that cannot, the request is recorded as an ERASURE_REQUESTED outcome per destination of
 * its type in the active rule set.
 */
export function withErasureStage(
  sink: SinkName,
  config: SinkServiceConfig,
  stages: Provider,
): Provider {
  const base = stages as FactoryProvider<StageDefinition<unknown>[]>;
  const own = base.inject?.length ?? 0;
  return {
    provide: STAGES,
    inject: [...(base.inject ?? []), TOPICS, RulesRegistry, SINK_ADAPTER, LOGGER, METRICS_REGISTRY],
    useFactory: async (...args: unknown[]): Promise<StageDefinition<unknown>[]> => {
      const [{ topics }, rules, adapter, logger, registry] = args.slice(own) as [
        PrefixedTopics,
        RulesRegistry,
        SinkAdapter,
        Logger,
        Registry,
      ];
      return [
        ...(await base.useFactory(...args.slice(0, own))),
        sinkErasureStage({
          sink,
          adapter,
          groupId: config.groupId,
          topics,
          ruleSet: () => rules.current,
          logger,
          registry,
        }) as StageDefinition<unknown>,
      ];
    },
  };
}

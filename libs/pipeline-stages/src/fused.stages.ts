import type { StageDefinition } from '@lead-router/kafka';
import { STAGES } from '@lead-router/service-kit';
import { rulesProviders } from '@lead-router/sink-kit';
import type { FactoryProvider, Provider } from '@nestjs/common';
import { accountsProviders, enricherStage } from './enricher.stage';
import type { FusedConfig } from './fused.config';
import { normalizerStage } from './normalizer.stage';
import { routerStagesProvider } from './router.providers';

type StagesProvider = FactoryProvider<StageDefinition<unknown>[]>;

/**
 * The stages of the normalizer, the enricher and the router's match step in one process, each
 * built exactly as its own service builds it: its own consumer group on its own input topic, its
 * own DLQ handling, erasure skip and (for match) transactions, writing every topic the split
 * services write. What they share is the process's Kafka client, producer, registry codec and
 * metrics registry. The router's assign step and held queue stay in the router service
 * (ROUTER_STEPS=assign), which owns the queue state.
 */
export function fusedStages(
  config: FusedConfig,
  now: () => number = Date.now,
): { stages: Provider; providers: Provider[] } {
  const parts: StagesProvider[] = [
    normalizerStage(config.normalizer, now) as StagesProvider,
    enricherStage(config.enricher, now),
    routerStagesProvider(config.router, now, ['match']),
  ];
  // Tokens by name, the same on every call: main.ts asks for the stages and the providers apart.
  const tokens = ['normalizer', 'enricher', 'router-match'].map((part) => `pipeline-fused.${part}`);
  return {
    stages: {
      provide: STAGES,
      inject: tokens,
      useFactory: (...lists: StageDefinition<unknown>[][]) => lists.flat(),
    },
    providers: [
      ...parts.map((part, i) => ({ ...part, provide: tokens[i]! })),
      ...accountsProviders(config.enricher),
      ...rulesProviders(config.router),
    ],
  };
}

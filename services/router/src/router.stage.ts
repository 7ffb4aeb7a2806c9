import type { StageDefinition } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import { route, type QueueState } from '@lead-router/routing';
import type { EnrichedLead, RoutedLead } from '@lead-router/schemas';
import { LOGGER, STAGES, TOPICS, stageSettings, type Topics } from '@lead-router/service-kit';
import type { Provider } from '@nestjs/common';
import type { RouterConfig } from './router.config';
import { loadRules } from './rules.loader';

/**
 * leads.enriched -> route by the rule set -> leads.routed, with the decision trace on the record.
 * Queue states live in this process (one router instance); a restart starts each rotation
 * again from its first member. A lead the rule set holds (nobody available) is dead-lettered
 * with the time it could be routed, so it can be replayed then.
 */
export function routerStage(config: RouterConfig, now: () => number = Date.now): Provider {
  return {
    provide: STAGES,
    inject: [TOPICS, LOGGER],
    useFactory: ({ topics }: Topics, logger: Logger): StageDefinition<EnrichedLead>[] => {
      const rules = loadRules(config.rulesFile);
      logger.info(
        { ruleSet: rules.id, version: rules.version, rules: rules.rules.length },
        'rules loaded',
      );
      const states = new Map<string, QueueState>();
      return [
        {
          stage: 'router',
          ...stageSettings(config),
          topic: topics.enriched,
          schema: 'EnrichedLead',
          dlqTopic: topics.dlq,
          leadIdOf: (enriched) => enriched.lead.lead_id,
          handle: (enriched) => {
            const result = route(rules, enriched, states, now());
            if (result.kind === 'hold') {
              return {
                kind: 'dead',
                code: 'routing_held',
                error: `${result.decision.reason} (hold until ${new Date(result.until).toISOString()})`,
                leadId: enriched.lead.lead_id,
              };
            }
            for (const update of result.stateUpdates) states.set(update.queue, update.state);
            const routed: RoutedLead = {
              lead: enriched.lead,
              enrichment: enriched.enrichment,
              decision: result.decision,
              destinations: result.destinations,
            };
            return {
              kind: 'ok',
              outputs: [{ topic: topics.routed, key: enriched.lead.lead_id, value: routed }],
            };
          },
        },
      ];
    },
  };
}

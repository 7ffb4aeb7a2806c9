import type { LeadEnricher } from '@lead-router/enrich';
import type { StageDefinition } from '@lead-router/kafka';
import type { NormalizedLead } from '@lead-router/schemas';
import { STAGES, TOPICS, stageSettings, type PrefixedTopics } from '@lead-router/service-kit';
import type { Provider } from '@nestjs/common';
import type { EnricherConfig } from './enricher.config';
import { buildEnricher } from './enricher.steps';

/**
 * leads.normalized -> enrich -> leads.enriched. A lead may wait on the firmographics provider
 * (up to its timeout), so many leads of a partition are enriched at once (ENRICH_CONCURRENCY;
 * leads of one key stay in order).
 */
export function enricherStage(
  config: EnricherConfig,
  now: () => number = Date.now,
  enricher: () => Promise<LeadEnricher> = () => buildEnricher(config.enrich),
): Provider {
  return {
    provide: STAGES,
    inject: [TOPICS],
    useFactory: async ({ topics }: PrefixedTopics): Promise<StageDefinition<NormalizedLead>[]> => {
      const enrich = await enricher();
      return [
        {
          stage: 'enricher',
          ...stageSettings(config),
          concurrency: config.enrich.concurrency,
          topic: topics.normalized,
          schema: 'NormalizedLead',
          dlqTopic: topics.dlq,
          leadIdOf: (lead) => lead.lead_id,
          handle: (lead) => {
            const enriched = enrich.enrich(lead, now());
            return enriched instanceof Promise
              ? enriched.then((value) => ({
                  kind: 'ok' as const,
                  outputs: [{ topic: topics.enriched, key: lead.lead_id, value }],
                }))
              : {
                  kind: 'ok',
                  outputs: [{ topic: topics.enriched, key: lead.lead_id, value: enriched }],
                };
          },
        },
      ];
    },
  };
}

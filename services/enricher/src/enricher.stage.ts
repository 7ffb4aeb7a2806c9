import type { StageConfig } from '@lead-router/config';
import { enrich } from '@lead-router/enrich';
import type { StageDefinition } from '@lead-router/kafka';
import type { NormalizedLead } from '@lead-router/schemas';
import { STAGES, TOPICS, stageSettings, type PrefixedTopics } from '@lead-router/service-kit';
import type { Provider } from '@nestjs/common';

/** leads.normalized -> enrich -> leads.enriched. */
export function enricherStage(config: StageConfig, now: () => number = Date.now): Provider {
  return {
    provide: STAGES,
    inject: [TOPICS],
    useFactory: ({ topics }: PrefixedTopics): StageDefinition<NormalizedLead>[] => [
      {
        stage: 'enricher',
        ...stageSettings(config),
        topic: topics.normalized,
        schema: 'NormalizedLead',
        dlqTopic: topics.dlq,
        leadIdOf: (lead) => lead.lead_id,
        handle: (lead) => ({
          kind: 'ok',
          outputs: [{ topic: topics.enriched, key: lead.lead_id, value: enrich(lead, now()) }],
        }),
      },
    ],
  };
}

import type { StageConfig } from '@lead-router/config';
import type { StageDefinition, StageResult } from '@lead-router/kafka';
import { normalize } from '@lead-router/normalize';
import type { RawLead } from '@lead-router/schemas';
import { STAGES, TOPICS, stageSettings, type PrefixedTopics } from '@lead-router/service-kit';
import type { FactoryProvider } from '@nestjs/common';

/** leads.raw -> normalize -> leads.normalized, or the DLQ with every reason. */
export function normalizerStage(
  config: StageConfig,
  now: () => number = Date.now,
): FactoryProvider<StageDefinition<RawLead>[]> {
  return {
    provide: STAGES,
    inject: [TOPICS],
    useFactory: ({ topics }: PrefixedTopics): StageDefinition<RawLead>[] => [
      {
        stage: 'normalizer',
        ...stageSettings(config),
        topic: topics.raw,
        schema: 'RawLead',
        dlqTopic: topics.dlq,
        leadIdOf: (raw) => raw.lead_id,
        handle: (raw): StageResult => {
          const result = normalize(raw, now());
          if (!result.ok) {
            return {
              kind: 'dead',
              code: result.error.some((i) => i.code === 'no_contact') ? 'no_contact' : 'invalid',
              error: result.error.map((i) => i.message).join('; '),
              leadId: raw.lead_id,
            };
          }
          return {
            kind: 'ok',
            outputs: [{ topic: topics.normalized, key: raw.lead_id, value: result.value }],
          };
        },
      },
    ],
  };
}

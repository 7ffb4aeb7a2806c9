import { LeadsTableSink, upsertLeadRows } from '@lead-router/leads-table';
import type { StageDefinition, StageResult } from '@lead-router/kafka';
import { createSpeedToLead } from '@lead-router/observability';
import type { RoutedLead } from '@lead-router/schemas';
import {
  METRICS_REGISTRY,
  STAGES,
  TOPICS,
  stageSettings,
  type PrefixedTopics,
} from '@lead-router/service-kit';
import type { Provider } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import { PG_POOL } from './pg-pool.provider';
import type { SinkPostgresConfig } from './sink-postgres.config';

/**
 * leads.routed -> upsert into each postgres destination's table -> leads.delivered. The handler
 * only collects; `afterChunk` writes the chunk's rows, so the runner produces the outcomes and
 * commits the offsets only after the rows are in. A crash before the commit writes them again,
 * which updates the same rows.
 */
export function sinkPostgresStage(config: SinkPostgresConfig): Provider {
  return {
    provide: STAGES,
    inject: [TOPICS, METRICS_REGISTRY, PG_POOL],
    useFactory: (
      { topics }: PrefixedTopics,
      registry: Registry,
      pool: Pool,
    ): StageDefinition<RoutedLead>[] => {
      const speedToLead = createSpeedToLead(registry);
      const sink = new LeadsTableSink({
        stage: 'sink-postgres',
        topics: { delivered: topics.delivered, dlq: topics.dlq },
        destinations: config.pg.destinations,
        write: (target, rows) => upsertLeadRows(pool, target, rows),
        now: Date.now,
      });
      return [
        {
          stage: 'sink-postgres',
          ...stageSettings(config),
          // afterChunk is not told which partition's chunk ended, so the sink holds one chunk at
          // a time; it scales by instances instead.
          partitionsConcurrently: 1,
          topic: topics.routed,
          schema: 'RoutedLead',
          dlqTopic: topics.dlq,
          leadIdOf: (routed) => routed.lead.lead_id,
          beforeChunk: async () => sink.clear(),
          handle: (routed, record): StageResult => {
            sink.add(routed, record);
            return { kind: 'ok', outputs: [] };
          },
          afterChunk: async () => {
            const { outputs, outcomes } = await sink.flush();
            for (const o of outcomes) {
              if (o.status === 'DELIVERED') {
                speedToLead.observe(
                  { source: o.source, destination: o.destination_id },
                  o.speed_to_lead_ms / 1000,
                );
              }
            }
            return outputs;
          },
        },
      ];
    },
  };
}

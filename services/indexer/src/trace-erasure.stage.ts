import type { StageDefinition } from '@lead-router/kafka';
import { type Logger, MetricNames } from '@lead-router/observability';
import { Topics, type ErasureRequest } from '@lead-router/schemas';
import { stageSettings } from '@lead-router/service-kit';
import { eraseTrace } from '@lead-router/trace';
import { TransientError } from '@lead-router/kafka';
import type { Pool } from 'pg';
import { Counter, type Registry } from 'prom-client';
import type { IndexerConfig } from './indexer.config';

/**
 * privacy.erasures -> the trace index: each request deletes every row of the lead it names, and
 * for an email every row of every lead whose captured or normalized event carried that email
 * (`email_sha256`). A stage of its own group (`<group>.privacy.erasures`); a failed delete is
 * retriable, so the request stays uncommitted and is handled again. Rows a later replay would
 * write are never written: the suppression list makes the indexer's stages skip them.
 */
export function traceErasureStage(
  config: IndexerConfig,
  deps: {
    topics: { erasures: string; dlq: string };
    pool: Pool;
    logger: Logger;
    registry: Registry;
  },
): StageDefinition<ErasureRequest> {
  const erased = new Counter({
    name: MetricNames.erasedRecords,
    help: 'Rows or entries deleted for right-to-erasure requests, by service',
    labelNames: ['service'],
    registers: [deps.registry],
  });
  return {
    stage: 'indexer.erasures',
    ...stageSettings(config),
    groupId: `${config.groupId}.${Topics.erasures}`,
    topic: deps.topics.erasures,
    schema: 'ErasureRequest',
    dlqTopic: deps.topics.dlq,
    leadIdOf: (request) => request.lead_id,
    handle: async (request) => {
      let result: { rows: number; leads: number };
      try {
        result = await eraseTrace(deps.pool, config.pg.table, {
          leadId: request.lead_id,
          emailSha256: request.email_sha256,
        });
      } catch (cause) {
        throw new TransientError(
          `erasing from the trace index failed (${cause instanceof Error ? cause.message : String(cause)}); the request stays uncommitted`,
          'trace_index_unavailable',
          { context: { table: config.pg.table }, cause },
        );
      }
      erased.inc({ service: 'indexer' }, result.rows);
      deps.logger.info(
        {
          leadId: request.lead_id,
          subject: request.lead_id === null ? 'email' : 'lead',
          rows: result.rows,
          leads: result.leads,
        },
        'erasure request: trace rows deleted',
      );
      return { kind: 'ok', outputs: [] };
    },
  };
}

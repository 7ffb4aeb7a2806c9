import { loadStageConfig, type StageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { SINK_REQUIREMENTS, sinkEnvShape, sinkSettingsOf } from '@lead-router/sink-kit';
import { z } from 'zod';

const extra = z
  .object({
    ...sinkEnvShape,
    // Collections upserts of 200 records answer in seconds; the layer's two minutes would hold
    // a batch far longer than Salesforce takes.
    SINK_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(60_000),
    /** How long an answer saying the daily API allocation is spent holds requests back. */
    SALESFORCE_SPENT_QUOTA_HOLD_MS: z.coerce.number().int().min(0).default(60_000),
  })
  .transform((e) => ({
    sink: sinkSettingsOf(e),
    salesforce: { spentQuotaHoldMs: e.SALESFORCE_SPENT_QUOTA_HOLD_MS },
  }));

export type SinkSalesforceConfig = StageConfig & z.infer<typeof extra>;

export function loadSinkSalesforceConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SinkSalesforceConfig {
  // A batch request waits on Salesforce, not the CPU: many records in flight by default.
  return loadStageConfig(
    'sink-salesforce',
    defaultPort('sink-salesforce'),
    extra,
    {
      STAGE_CONCURRENCY: '64',
      // Every partition's chunk at once, so one batch gathers leads from all of them.
      STAGE_PARTITIONS_CONCURRENTLY: '6',
      ...env,
    },
    SINK_REQUIREMENTS,
  );
}

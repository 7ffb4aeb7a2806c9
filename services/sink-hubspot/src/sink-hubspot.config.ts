import { loadStageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import {
  SINK_REQUIREMENTS,
  type SinkServiceConfig,
  sinkEnvShape,
  sinkSettingsOf,
} from '@lead-router/sink-kit';
import { z } from 'zod';

const extra = z.object(sinkEnvShape).transform((e) => ({ sink: sinkSettingsOf(e) }));

export type SinkHubspotConfig = SinkServiceConfig;

export function loadSinkHubspotConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SinkHubspotConfig {
  // The budget, not the CPU, bounds a CRM sink: collect many leads per chunk so batches fill.
  return loadStageConfig(
    'sink-hubspot',
    defaultPort('sink-hubspot'),
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

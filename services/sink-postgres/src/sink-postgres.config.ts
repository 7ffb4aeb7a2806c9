import { SQL_IDENTIFIER, loadStageConfig, type ModeRequirement } from '@lead-router/config';
import {
  DEFAULT_LEADS_SCHEMA,
  DEFAULT_LEADS_TABLE,
  leadsTableTarget,
  postgresDestinations,
  type PostgresDestinations,
} from '@lead-router/leads-table';
import { defaultPort } from '@lead-router/schemas';
import {
  SINK_REQUIREMENTS,
  type SinkServiceConfig,
  sinkEnvShape,
  sinkSettingsOf,
} from '@lead-router/sink-kit';
import { z } from 'zod';

export type SinkPostgresConfig = SinkServiceConfig & {
  readonly pg: { readonly url: string; readonly destinations: PostgresDestinations };
};

const SINK_POSTGRES_REQUIREMENTS: readonly ModeRequirement[] = [
  ...SINK_REQUIREMENTS,
  {
    key: 'PG_URL',
    what: 'the PostgreSQL URL of the leads tables',
    demoValue: 'postgresql://postgres@127.0.0.1:5432/test',
  },
];

const identifier = z.string().regex(SQL_IDENTIFIER, 'a lower-case SQL identifier (a-z, 0-9, _)');

const sinkPostgresEnv = z
  .object({
    ...sinkEnvShape,
    PG_URL: z.string().min(1),
    PG_SCHEMA: identifier.default(DEFAULT_LEADS_SCHEMA),
    PG_TABLE: identifier.default(DEFAULT_LEADS_TABLE),
    PG_DESTINATION_TABLES: z.string().default(''),
  })
  .transform((e, ctx) => {
    try {
      const fallback = leadsTableTarget(e.PG_SCHEMA, e.PG_TABLE);
      return {
        sink: sinkSettingsOf(e),
        pg: {
          url: e.PG_URL,
          destinations: postgresDestinations(fallback, e.PG_DESTINATION_TABLES),
        },
      };
    } catch (err) {
      ctx.addIssue({ code: 'custom', message: (err as Error).message });
      return z.NEVER;
    }
  });

export function loadSinkPostgresConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SinkPostgresConfig {
  // Every partition's chunk at once, so one statement gathers leads from all of them.
  return loadStageConfig(
    'sink-postgres',
    defaultPort('sink-postgres'),
    sinkPostgresEnv,
    { STAGE_PARTITIONS_CONCURRENTLY: '6', ...env },
    SINK_POSTGRES_REQUIREMENTS,
  );
}

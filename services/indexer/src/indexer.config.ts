import {
  SQL_IDENTIFIER,
  loadStageConfig,
  type ModeRequirement,
  type StageConfig,
} from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { DEFAULT_TRACE_TABLE } from '@lead-router/trace';
import { z } from 'zod';

export interface IndexerConfig extends StageConfig {
  pg: { url: string; table: string };
}

/** The trace index's database: the demo machine's local PostgreSQL only in demo mode. */
const INDEXER_REQUIREMENTS: readonly ModeRequirement[] = [
  {
    key: 'PG_URL',
    what: 'the PostgreSQL URL of the trace index',
    demoValue: 'postgresql://postgres@127.0.0.1:5432/test',
  },
];

const indexerEnv = z
  .object({
    PG_URL: z.string().min(1),
    INDEX_TABLE: z
      .string()
      .regex(SQL_IDENTIFIER, 'a lower-case SQL identifier (a-z, 0-9, _)')
      .default(DEFAULT_TRACE_TABLE),
  })
  .transform((e) => ({ pg: { url: e.PG_URL, table: e.INDEX_TABLE } }));

export function loadIndexerConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): IndexerConfig {
  return loadStageConfig('indexer', defaultPort('indexer'), indexerEnv, env, INDEXER_REQUIREMENTS);
}

import { readFileSync } from 'node:fs';
import { type AdSource, parseSourcesConfig } from '@lead-router/capture';
import {
  ConfigError,
  loadStageConfig,
  type ModeRequirement,
  resolveCredential,
  type StageConfig,
} from '@lead-router/config';
import { defaultPort, SOURCE_FETCH_RETRIES } from '@lead-router/schemas';
import { z } from 'zod';

/** A source whose leads are fetched, with the credentials its platform's API takes. */
export type FetchSource =
  | (Extract<AdSource, { platform: 'meta' }> & { accessToken: string; appSecret: string })
  | (Extract<AdSource, { platform: 'linkedin' }> & { accessToken: string });

export interface SourceFetcherConfig extends StageConfig {
  /** The Meta and LinkedIn sources of SOURCES_FILE (the file ingest reads), by name. */
  sources: ReadonlyMap<string, FetchSource>;
  redisUrl: string;
  fetchTimeoutMs: number;
  /** The wait before retry n (1-based), one per sources.fetch.retry.<n> topic. */
  retryDelaysMs: readonly number[];
}

const SOURCE_FETCHER_REQUIREMENTS: readonly ModeRequirement[] = [
  {
    key: 'REDIS_URL',
    what: "the Redis that holds the platforms' request budgets",
    demoValue: 'redis://127.0.0.1:6379',
  },
];

const extra = z.object({
  SOURCES_FILE: z.string().min(1).optional(),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),
  FETCH_TIMEOUT_MS: z.coerce.number().int().min(100).max(120_000).default(10_000),
  FETCH_RETRY_DELAYS_MS: z
    .string()
    .default('10000,60000,300000,1800000')
    .transform((s) => s.split(',').map((d) => Number(d.trim())))
    .refine(
      (delays) =>
        delays.length === SOURCE_FETCH_RETRIES &&
        delays.every((d) => Number.isInteger(d) && d >= 0),
      `expected ${SOURCE_FETCH_RETRIES} delays in ms, comma-separated`,
    ),
});

function fetchSources(
  path: string | undefined,
  env: Readonly<Record<string, string | undefined>>,
): Map<string, FetchSource> {
  const sources = new Map<string, FetchSource>();
  if (path === undefined) return sources;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError([
      `SOURCES_FILE: cannot read ${path} (${(e as NodeJS.ErrnoException).code ?? 'unreadable'})`,
    ]);
  }
  const parsed = parseSourcesConfig(text);
  if (!parsed.ok) throw new ConfigError(parsed.error.map((p) => `${path}: ${p}`));
  const problems: string[] = [];
  for (const [name, source] of parsed.value) {
    try {
      if (source.platform === 'meta') {
        sources.set(name, {
          ...source,
          accessToken: resolveCredential(source.access_token, { env }),
          appSecret: resolveCredential(source.app_secret, { env }),
        });
      } else if (source.platform === 'linkedin') {
        sources.set(name, {
          ...source,
          accessToken: resolveCredential(source.access_token, { env }),
        });
      }
    } catch (e) {
      problems.push(
        ...(e instanceof ConfigError ? e.problems : [String(e)]).map((p) => `${name}: ${p}`),
      );
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
  return sources;
}

export function loadSourceFetcherConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SourceFetcherConfig {
  const base = loadStageConfig(
    'source-fetcher',
    defaultPort('source-fetcher'),
    extra,
    env,
    SOURCE_FETCHER_REQUIREMENTS,
  );
  return Object.freeze({
    ...base,
    sources: fetchSources(base.SOURCES_FILE, env),
    redisUrl: base.REDIS_URL,
    fetchTimeoutMs: base.FETCH_TIMEOUT_MS,
    retryDelaysMs: base.FETCH_RETRY_DELAYS_MS,
  });
}

import { loadStageConfig, type StageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { z } from 'zod';

const onOff = z.enum(['on', 'off']).transform((v) => v === 'on');
const int = (min: number, max: number) => z.coerce.number().int().min(min).max(max);
const DAY = 86_400_000;
const UNIT_MS: Readonly<Record<string, number>> = { s: 1_000, m: 60_000, h: 3_600_000, d: DAY };
const durationMs = (text: string) => Number(text.slice(0, -1)) * UNIT_MS[text.slice(-1)]!;

const extra = z
  .object({
    ENRICH_CONCURRENCY: int(1, 1024).default(64),
    ENRICH_MAIL_FLAGS: onOff.default(true),
    ENRICH_IP_GEO: onOff.default(true),
    ENRICH_FIRMOGRAPHICS_URL: z.url({ protocol: /^https?$/ }).optional(),
    ENRICH_FIRMOGRAPHICS_NAME: z.string().min(1).default('http'),
    ENRICH_FIRMOGRAPHICS_API_KEY_ENV: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'the name of an environment variable')
      .default('FIRMOGRAPHICS_API_KEY'),
    ENRICH_FIRMOGRAPHICS_TIMEOUT_MS: int(1, 60_000).default(300),
    ENRICH_FIRMOGRAPHICS_CACHE_SIZE: int(1, 10_000_000).default(10_000),
    ENRICH_FIRMOGRAPHICS_CACHE_TTL_MS: int(1_000, 30 * 86_400_000).default(86_400_000),
    ENRICH_FIRMOGRAPHICS_BREAKER_FAILURES: int(1, 1_000).default(5),
    ENRICH_FIRMOGRAPHICS_BREAKER_HALF_OPEN_MS: int(100, 3_600_000).default(30_000),
    ENRICH_SCORE_FILE: z.string().min(1).optional(),
    ENRICH_ACCOUNTS: onOff.default(true),
    ENRICH_ACCOUNTS_FUZZY_MIN: z.coerce.number().min(0.5).max(1).default(0.85),
    ENRICH_DUPLICATES_WINDOW: z
      .string()
      .regex(/^[1-9][0-9]*(s|m|h|d)$/, 'a duration such as 90s, 30m, 24h or 7d')
      .transform(durationMs)
      .refine((ms) => ms <= 30 * DAY, 'at most 30d (enricher.contacts-seen keeps 30 days)')
      .optional(),
  })
  .transform((e) => ({
    enrich: {
      concurrency: e.ENRICH_CONCURRENCY,
      mailFlags: e.ENRICH_MAIL_FLAGS,
      ipGeo: e.ENRICH_IP_GEO,
      firmographics:
        e.ENRICH_FIRMOGRAPHICS_URL === undefined
          ? null
          : {
              baseUrl: e.ENRICH_FIRMOGRAPHICS_URL,
              name: e.ENRICH_FIRMOGRAPHICS_NAME,
              apiKeyEnv: e.ENRICH_FIRMOGRAPHICS_API_KEY_ENV,
              timeoutMs: e.ENRICH_FIRMOGRAPHICS_TIMEOUT_MS,
              cacheSize: e.ENRICH_FIRMOGRAPHICS_CACHE_SIZE,
              cacheTtlMs: e.ENRICH_FIRMOGRAPHICS_CACHE_TTL_MS,
              breakerFailures: e.ENRICH_FIRMOGRAPHICS_BREAKER_FAILURES,
              breakerHalfOpenAfterMs: e.ENRICH_FIRMOGRAPHICS_BREAKER_HALF_OPEN_MS,
            },
      scoreFile: e.ENRICH_SCORE_FILE ?? null,
      accounts: e.ENRICH_ACCOUNTS ? { fuzzyMin: e.ENRICH_ACCOUNTS_FUZZY_MIN } : null,
      duplicates:
        e.ENRICH_DUPLICATES_WINDOW === undefined ? null : { windowMs: e.ENRICH_DUPLICATES_WINDOW },
    },
  }));

export type EnricherConfig = StageConfig & z.infer<typeof extra>;
export type EnrichSettings = EnricherConfig['enrich'];

/** The stage's keys and the enrichment steps' (docs/enrichment.md); every bad key at once. */
export function loadEnricherConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): EnricherConfig {
  return loadStageConfig('enricher', defaultPort('enricher'), extra, env);
}

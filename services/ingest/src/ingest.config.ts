import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { getHeapStatistics } from 'node:v8';
import {
  loadConfig,
  type ModeRequirement,
  platformConfig,
  platformEnv,
  port,
  type PlatformConfig,
} from '@lead-router/config';
import { sha256Hex } from '@lead-router/capture';
import { defaultPort } from '@lead-router/schemas';
import { z } from 'zod';
import { proxyTrust } from './client-ip';
import type { LoadLimits } from './load-gate';
import { type IngestAdSource, loadAdSources } from './sources/ad-sources.loader';

/** The key printed by `npm start`; only ever a default for the local demo. */
export const DEMO_API_KEY = 'lr_demo_key_web_form';

/**
 * `key:source` or `sha256:<hex of the key's SHA-256>:source`, comma-separated. Only the hash is
 * kept in memory, and the hashed form keeps the key itself out of the environment altogether.
 */
const apiKeys = z
  .string()
  .regex(
    /^(sha256:[0-9a-f]{64}|[^\s:,]+):[A-Za-z0-9._-]+(,(sha256:[0-9a-f]{64}|[^\s:,]+):[A-Za-z0-9._-]+)*$/,
    'expected key:source or sha256:<hex>:source, comma-separated',
  )
  .transform(
    (s) =>
      new Map(
        s.split(',').map((entry): [string, string] => {
          const source = entry.slice(entry.lastIndexOf(':') + 1);
          const key = entry.slice(0, entry.lastIndexOf(':'));
          return [key.startsWith('sha256:') ? key.slice(7) : sha256Hex(key), source];
        }),
      ),
  );

/** True when a value of INGEST_API_KEYS holds the demo key, as itself or as its SHA-256. */
function holdsDemoKey(value: string): boolean {
  const demo = new Set([DEMO_API_KEY, `sha256:${sha256Hex(DEMO_API_KEY)}`]);
  return value
    .split(',')
    .some((entry) => demo.has(entry.trim().slice(0, entry.trim().lastIndexOf(':'))));
}

/** What ingest cannot start without outside demo mode, besides the platform's keys. */
export const INGEST_REQUIREMENTS: readonly ModeRequirement[] = [
  {
    key: 'INGEST_API_KEYS',
    what: 'its own API keys (key:source or sha256:<hex>:source, comma-separated)',
    demoValue: `${DEMO_API_KEY}:web-form`,
    isDemoSecret: holdsDemoKey,
  },
];

const schema = z
  .object({
    ...platformEnv,
    INGEST_PORT: port.default(defaultPort('ingest')),
    INGEST_API_KEYS: apiKeys,
    INGEST_SOURCES_FILE: z.string().min(1).optional(),
    INGEST_RATE_LIMIT_MAX: z.coerce.number().int().min(1).default(600_000),
    INGEST_RATE_LIMIT_WINDOW_SECONDS: z.coerce.number().int().min(1).default(60),
    INGEST_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
    INGEST_ACK_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
    INGEST_LINGER_MS: z.coerce.number().int().min(0).default(2),
    // Load shedding (docs/sources.md#load-shedding): over any limit a lead request is answered
    // 503 overloaded with Retry-After before its body is read. 0 turns a memory limit off.
    INGEST_SHED: z.enum(['on', 'off']).default('on'),
    INGEST_SHED_MAX_OPEN_REQUESTS: z.coerce.number().int().min(1).default(500),
    INGEST_SHED_MAX_PENDING_LEADS: z.coerce.number().int().min(1).default(2000),
    INGEST_SHED_MAX_EVENT_LOOP_DELAY_MS: z.coerce.number().int().min(0).default(500),
    INGEST_SHED_MAX_HEAP_BYTES: z.coerce
      .number()
      .int()
      .min(0)
      .default(() => Math.floor(getHeapStatistics().heap_size_limit * 0.85)),
    INGEST_SHED_MAX_RSS_BYTES: z.coerce.number().int().min(0).default(0),
    INGEST_SHED_SAMPLE_INTERVAL_MS: z.coerce.number().int().min(10).default(500),
    INGEST_SHED_RETRY_AFTER_SECONDS: z.coerce.number().int().min(1).default(2),
    INGEST_IMPORT_DIR: z.string().min(1).default(join(tmpdir(), 'lead-router-imports')),
    INGEST_IMPORT_RETENTION_HOURS: z.coerce.number().positive().default(168),
    INGEST_TRUSTED_PROXIES: z
      .string()
      .default('')
      .transform((s) =>
        s
          .split(',')
          .map((p) => p.trim())
          .filter((p) => p !== ''),
      )
      .refine((proxies) => {
        try {
          proxyTrust(proxies);
          return true;
        } catch {
          return false;
        }
      }, 'expected addresses or CIDR ranges (or loopback, linklocal, uniquelocal), comma-separated'),
  })
  .transform((env) => ({
    platform: platformConfig('ingest', env, env.INGEST_PORT),
    apiKeys: env.INGEST_API_KEYS,
    bodyLimit: env.INGEST_BODY_LIMIT_BYTES,
    ackTimeoutMs: env.INGEST_ACK_TIMEOUT_MS,
    lingerMs: env.INGEST_LINGER_MS,
    importDir: env.INGEST_IMPORT_DIR,
    importRetentionHours: env.INGEST_IMPORT_RETENTION_HOURS,
    sourcesFile: env.INGEST_SOURCES_FILE,
    rateLimit: {
      max: env.INGEST_RATE_LIMIT_MAX,
      windowSeconds: env.INGEST_RATE_LIMIT_WINDOW_SECONDS,
    },
    trustedProxies: env.INGEST_TRUSTED_PROXIES,
    load: {
      enabled: env.INGEST_SHED === 'on',
      maxOpenRequests: env.INGEST_SHED_MAX_OPEN_REQUESTS,
      maxPendingLeads: env.INGEST_SHED_MAX_PENDING_LEADS,
      maxEventLoopDelayMs: env.INGEST_SHED_MAX_EVENT_LOOP_DELAY_MS,
      maxHeapUsedBytes: env.INGEST_SHED_MAX_HEAP_BYTES,
      maxRssBytes: env.INGEST_SHED_MAX_RSS_BYTES,
      sampleIntervalMs: env.INGEST_SHED_SAMPLE_INTERVAL_MS,
      retryAfterSeconds: env.INGEST_SHED_RETRY_AFTER_SECONDS,
    },
  }));

export interface IngestConfig {
  platform: PlatformConfig;
  /** SHA-256 (hex) of each API key -> the one source it may submit for. */
  apiKeys: ReadonlyMap<string, string>;
  /** Requests per window each API key or ad-platform source may send (a source may set its own). */
  rateLimit: { max: number; windowSeconds: number };
  /** The ad-platform sources of INGEST_SOURCES_FILE, their secrets resolved; none without it. */
  adSources: ReadonlyMap<string, IngestAdSource>;
  bodyLimit: number;
  ackTimeoutMs: number;
  lingerMs: number;
  /** Where CSV import reports are written (one report file and one summary file per import). */
  importDir: string;
  /** How long an import's report and summary are kept (deleted by the next import after that). */
  importRetentionHours: number;
  /** Proxies whose X-Forwarded-For names the client (none by default). */
  trustedProxies: readonly string[];
  /**
   * The work one instance holds before it sheds. 500 open requests and 2,000 leads awaiting
   * Kafka's ack are about a second of work at the ~1,500 leads/s issue 13 measured on a busy
   * 2-core host (a fraction of one at the ~7,000/s ingest reaches alone, bench/RESULTS.md), so an
   * accepted lead's 202 stays within about a second. A 500 ms mean event-loop delay over a sample
   * means the process cannot keep up with what it already holds (200 ms shed 30 % of 250 leads/s on
   * a machine saturated by other processes, bench run 1). The heap limit is 85 % of V8's,
   * below where garbage collection would take the process over.
   */
  load: LoadLimits;
}

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

export function loadIngestConfig(env?: Record<string, string | undefined>): IngestConfig {
  const { sourcesFile, ...config } = loadConfig(schema, env, {
    service: 'ingest',
    required: INGEST_REQUIREMENTS,
  });
  return Object.freeze({ ...config, adSources: loadAdSources(sourcesFile, env) });
}

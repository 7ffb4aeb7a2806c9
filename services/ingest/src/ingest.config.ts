import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  loadConfig,
  platformConfig,
  platformEnv,
  port,
  type PlatformConfig,
} from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { z } from 'zod';
import { proxyTrust } from './client-ip';

/** The key printed by `npm start`; only ever a default for the local demo. */
export const DEMO_API_KEY = 'lr_demo_key_web_form';

const apiKeys = z
  .string()
  .regex(
    /^[^\s:,]+:[A-Za-z0-9._-]+(,[^\s:,]+:[A-Za-z0-9._-]+)*$/,
    'expected key:source[,key:source...]',
  )
  .transform((s) => new Map(s.split(',').map((pair) => pair.split(':') as [string, string])));

const schema = z
  .object({
    ...platformEnv,
    INGEST_PORT: port.default(defaultPort('ingest')),
    INGEST_API_KEYS: apiKeys.default(new Map([[DEMO_API_KEY, 'web-form']])),
    INGEST_BODY_LIMIT_BYTES: z.coerce.number().int().min(1024).default(1_048_576),
    INGEST_ACK_TIMEOUT_MS: z.coerce.number().int().min(100).default(5000),
    INGEST_LINGER_MS: z.coerce.number().int().min(0).default(2),
    INGEST_IMPORT_DIR: z.string().min(1).default(join(tmpdir(), 'lead-router-imports')),
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
    trustedProxies: env.INGEST_TRUSTED_PROXIES,
  }));

export interface IngestConfig {
  platform: PlatformConfig;
  /** API key -> the one source it may submit for. */
  apiKeys: ReadonlyMap<string, string>;
  bodyLimit: number;
  ackTimeoutMs: number;
  lingerMs: number;
  /** Where CSV import reports are written (one report file and one summary file per import). */
  importDir: string;
  /** Proxies whose X-Forwarded-For names the client (none by default). */
  trustedProxies: readonly string[];
}

export const INGEST_CONFIG = Symbol('INGEST_CONFIG');

export function loadIngestConfig(env?: Record<string, string | undefined>): IngestConfig {
  return loadConfig(schema, env);
}

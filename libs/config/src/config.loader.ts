import { LeadRouterError } from '@lead-router/errors';
import { z } from 'zod';

/**
 * Thrown at start when the environment is invalid; lists every bad key at once. `problems` are
 * `KEY: reason` lines, and the context names the keys (never their values, which may be secrets).
 */
export class ConfigError extends LeadRouterError {
  constructor(readonly problems: readonly string[]) {
    super(
      `Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`,
      'config_invalid',
      {
        context: { keys: problems.map((p) => p.split(':')[0] ?? p) },
      },
    );
  }
}

type DeepReadonly<T> = T extends (infer U)[]
  ? ReadonlyArray<DeepReadonly<U>>
  : T extends Map<infer K, infer V>
    ? ReadonlyMap<K, V>
    : T extends object
      ? { readonly [K in keyof T]: DeepReadonly<T[K]> }
      : T;

/**
 * Validates the environment against a schema over its flat keys and returns the mapped, frozen
 * result. Every schema key carries a default, so a service starts with no environment at all.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
): DeepReadonly<z.infer<S>> {
  const parsed = schema.safeParse(env);
  if (!parsed.success) {
    throw new ConfigError(
      parsed.error.issues.map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    );
  }
  return deepFreeze(parsed.data) as DeepReadonly<z.infer<S>>;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const inner of Object.values(value)) deepFreeze(inner);
  }
  return value;
}

/** `host:port[,host:port]` as a broker list. */
export const brokerList = z
  .string()
  .regex(/^[^\s,:]+:\d+(,[^\s,:]+:\d+)*$/, 'expected host:port[,host:port...]')
  .transform((s) => s.split(','));

export const port = z.coerce.number().int().min(0).max(65535);

export const logLevel = z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']);

/** The keys every service reads: where Kafka and the registry are, topic prefix, logging. */
export const platformEnv = {
  KAFKA_BROKERS: brokerList.default(['localhost:9092']),
  SCHEMA_REGISTRY_URL: z.url().default('http://localhost:8081/apis/ccompat/v7'),
  /** How long a starting service waits for an unreachable registry before it exits non-zero. */
  SCHEMA_REGISTRY_START_TIMEOUT_SECONDS: z.coerce.number().int().min(0).default(300),
  TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dot, underscore and dash only')
    .default(''),
  LOG_LEVEL: logLevel.default('info'),
  HTTP_HOST: z.string().default('0.0.0.0'),
};

export interface PlatformConfig {
  kafka: { brokers: readonly string[]; clientId: string };
  registryUrl: string;
  registryStartTimeoutMs: number;
  topicPrefix: string;
  logLevel: z.infer<typeof logLevel>;
  http: { host: string; port: number };
}

/** Builds the shared part of a service's config from the validated platform keys. */
export function platformConfig(
  service: string,
  env: {
    KAFKA_BROKERS: string[];
    SCHEMA_REGISTRY_URL: string;
    SCHEMA_REGISTRY_START_TIMEOUT_SECONDS: number;
    TOPIC_PREFIX: string;
    LOG_LEVEL: z.infer<typeof logLevel>;
    HTTP_HOST: string;
  },
  httpPort: number,
): PlatformConfig {
  return {
    kafka: { brokers: env.KAFKA_BROKERS, clientId: `lead-router-${service}` },
    registryUrl: env.SCHEMA_REGISTRY_URL,
    registryStartTimeoutMs: env.SCHEMA_REGISTRY_START_TIMEOUT_SECONDS * 1000,
    topicPrefix: env.TOPIC_PREFIX,
    logLevel: env.LOG_LEVEL,
    http: { host: env.HTTP_HOST, port: httpPort },
  };
}

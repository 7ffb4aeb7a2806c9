import { LeadRouterError } from '@lead-router/errors';
import { z } from 'zod';
import { applyRunMode, PLATFORM_REQUIREMENTS, runMode, type ModeRequirement } from './run-mode';
import {
  resolveTransport,
  type KafkaTransport,
  type RegistryTransport,
  type TransportConfig,
  type TransportEnv,
  transportEnv,
} from './transport.config';

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

/** The service a config is for and what it needs outside demo mode besides the platform keys. */
export interface ServiceRequirements {
  service: string;
  required?: readonly ModeRequirement[];
}

/**
 * Parses the environment with each schema after applying the run mode (`applyRunMode` over the
 * platform's and the service's requirements), and throws one ConfigError with every problem of
 * both; a key the mode already reports is not reported again by a schema.
 */
export function parseServiceEnv<T extends unknown[]>(
  schemas: readonly z.ZodType[],
  { service, required = [] }: ServiceRequirements,
  env: Readonly<Record<string, string | undefined>>,
): T {
  const mode = applyRunMode(service, [...PLATFORM_REQUIREMENTS, ...required], env);
  return parseAll<T>(schemas, mode.env, mode.problems);
}

function parseAll<T extends unknown[]>(
  schemas: readonly z.ZodType[],
  env: Readonly<Record<string, string | undefined>>,
  modeProblems: readonly string[] = [],
): T {
  const reported = new Set(modeProblems.map((p) => p.split(':')[0]));
  const results = schemas.map((schema) => schema.safeParse(env));
  const problems = [
    ...modeProblems,
    ...results.flatMap((r) =>
      r.success
        ? []
        : r.error.issues
            .filter((issue) => !reported.has(String(issue.path[0])))
            .map((issue) => `${issue.path.join('.') || '(root)'}: ${issue.message}`),
    ),
  ];
  if (problems.length > 0) throw new ConfigError(problems);
  return results.map((r) => r.data) as T;
}

/**
 * Validates the environment against a schema over its flat keys and returns the mapped, frozen
 * result. Optional keys carry defaults. A service passes its requirements: what it cannot do
 * without outside demo mode (`applyRunMode`), filled with demo values only in demo mode.
 */
export function loadConfig<S extends z.ZodType>(
  schema: S,
  env: Readonly<Record<string, string | undefined>> = process.env,
  requirements?: ServiceRequirements,
): DeepReadonly<z.infer<S>> {
  const [parsed] =
    requirements === undefined
      ? parseAll<[z.infer<S>]>([schema], env)
      : parseServiceEnv<[z.infer<S>]>([schema], requirements, env);
  return deepFreeze(parsed) as DeepReadonly<z.infer<S>>;
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
  /** `demo` or `production` (run-mode.ts); KAFKA_BROKERS and SCHEMA_REGISTRY_URL default in demo only. */
  LEAD_ROUTER_MODE: runMode,
  KAFKA_BROKERS: brokerList,
  SCHEMA_REGISTRY_URL: z.url(),
  /** How long a starting service waits for an unreachable registry before it exits non-zero. */
  SCHEMA_REGISTRY_START_TIMEOUT_SECONDS: z.coerce.number().int().min(0).default(300),
  TOPIC_PREFIX: z
    .string()
    .regex(/^[A-Za-z0-9._-]*$/, 'letters, digits, dot, underscore and dash only')
    .default(''),
  LOG_LEVEL: logLevel.default('info'),
  HTTP_HOST: z.string().default('0.0.0.0'),
  /** TLS, SASL and registry auth (transport.config.ts); PLAINTEXT and no auth by default. */
  ...transportEnv,
};

export interface PlatformConfig {
  /** `demo` only where LEAD_ROUTER_MODE says so; production otherwise. */
  mode: z.infer<typeof runMode>;
  /** Brokers and client id, plus TLS and SASL when KAFKA_SECURITY_PROTOCOL asks for them. */
  kafka: { brokers: readonly string[]; clientId: string } & KafkaTransport;
  registryUrl: string;
  /** Basic auth and the trusted CA of the registry, when set. */
  registryTransport: RegistryTransport;
  registryStartTimeoutMs: number;
  topicPrefix: string;
  logLevel: z.infer<typeof logLevel>;
  http: { host: string; port: number };
}

/**
 * Builds the shared part of a service's config from the validated platform keys. Transport keys
 * that do not fit together (SASL without credentials, a password set twice...) end in a
 * ConfigError that lists them all.
 */
export function platformConfig(
  service: string,
  env: TransportEnv & {
    LEAD_ROUTER_MODE: z.infer<typeof runMode>;
    KAFKA_BROKERS: string[];
    SCHEMA_REGISTRY_URL: string;
    SCHEMA_REGISTRY_START_TIMEOUT_SECONDS: number;
    TOPIC_PREFIX: string;
    LOG_LEVEL: z.infer<typeof logLevel>;
    HTTP_HOST: string;
  },
  httpPort: number,
): PlatformConfig {
  const transport = resolveTransport(env);
  if (!transport.ok) throw new ConfigError(transport.problems);
  return {
    mode: env.LEAD_ROUTER_MODE,
    kafka: {
      brokers: env.KAFKA_BROKERS,
      clientId: `lead-router-${service}`,
      ...transport.config.kafka,
    },
    registryUrl: env.SCHEMA_REGISTRY_URL,
    registryTransport: transport.config.registry,
    registryStartTimeoutMs: env.SCHEMA_REGISTRY_START_TIMEOUT_SECONDS * 1000,
    topicPrefix: env.TOPIC_PREFIX,
    logLevel: env.LOG_LEVEL,
    http: { host: env.HTTP_HOST, port: httpPort },
  };
}

/**
 * The transport keys alone, for the tools that are not services (leadctl, the benches): the same
 * keys, read the same way, with every problem in one ConfigError.
 */
export function loadTransportConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): TransportConfig {
  const parsed = loadConfig(z.object(transportEnv), env) as TransportEnv;
  const transport = resolveTransport(parsed);
  if (!transport.ok) throw new ConfigError(transport.problems);
  return transport.config;
}

import { z } from 'zod';

/**
 * The variable that says which mode a service runs in. `demo` is what `npm start`, the
 * docker-compose demo and the test fixtures set; anything else (unset included) is production,
 * where a service starts only with its own secrets and settings.
 */
export const RUN_MODE_KEY = 'LEAD_ROUTER_MODE';

export const runMode = z
  .enum(['demo', 'production'], { error: 'expected demo or production' })
  .default('production');

export type RunMode = z.infer<typeof runMode>;

/** What a demo start adds to a service's environment (`npm start`, compose, the fixtures). */
export const DEMO_MODE_ENV: Readonly<Record<string, string>> = Object.freeze({
  [RUN_MODE_KEY]: 'demo',
});

/**
 * A key a service cannot do without outside demo mode: a secret, or a setting whose demo value
 * only makes sense on the demo machine.
 */
export interface ModeRequirement {
  readonly key: string;
  /** What the service needs it for, completing "outside demo mode ingest needs …". */
  readonly what: string;
  /** Filled in when the key is unset in demo mode; outside it the key must be set. */
  readonly demoValue?: string;
  /**
   * True for a value that holds a demo secret (the demo API key, hashed or not): refused outside
   * demo mode even when set explicitly. Settings such as a broker list have none: an explicit
   * localhost is a choice, not a leftover.
   */
  readonly isDemoSecret?: (value: string) => boolean;
}

/**
 * What every service needs outside demo mode: where Kafka and the registry are (their localhost
 * defaults are the demo machine's) and how Kafka is reached, stated even when it is PLAINTEXT.
 */
export const PLATFORM_REQUIREMENTS: readonly ModeRequirement[] = [
  { key: 'KAFKA_BROKERS', what: 'the Kafka brokers to use', demoValue: 'localhost:9092' },
  {
    key: 'SCHEMA_REGISTRY_URL',
    what: "the schema registry's URL",
    demoValue: 'http://localhost:8081/apis/ccompat/v7',
  },
  {
    key: 'KAFKA_SECURITY_PROTOCOL',
    what: 'to be told how to reach Kafka (SASL_SSL, SSL, or PLAINTEXT said explicitly)',
  },
];

export interface RunModeResult {
  mode: RunMode;
  /** The environment with demo values filled in (demo mode only). */
  env: Readonly<Record<string, string | undefined>>;
  /** One `KEY: reason` line per missing key or demo secret; never a value. */
  problems: string[];
}

const isSet = (value: string | undefined): value is string =>
  value !== undefined && value.trim() !== '';

/**
 * Applies the mode to a service's environment. In demo mode an unset required key gets its demo
 * value; outside it every unset required key, and every key holding a demo secret, is a problem.
 * An unknown mode is not demo mode (the schema reports the bad value).
 */
export function applyRunMode(
  service: string,
  requirements: readonly ModeRequirement[],
  env: Readonly<Record<string, string | undefined>>,
): RunModeResult {
  const mode = env[RUN_MODE_KEY] === 'demo' ? 'demo' : 'production';
  if (mode === 'demo') {
    const filled: Record<string, string | undefined> = { ...env };
    for (const { key, demoValue } of requirements) {
      if (!isSet(filled[key]) && demoValue !== undefined) filled[key] = demoValue;
    }
    return { mode, env: filled, problems: [] };
  }
  const problems: string[] = [];
  for (const { key, what, isDemoSecret } of requirements) {
    const value = env[key];
    if (!isSet(value)) {
      problems.push(
        `${key}: not set; ${service} needs ${what} (only demo mode, ${RUN_MODE_KEY}=demo, has a default)`,
      );
    } else if (isDemoSecret?.(value)) {
      problems.push(
        `${key}: the demo secret, accepted in demo mode (${RUN_MODE_KEY}=demo) only; ${service} needs ${what}`,
      );
    }
  }
  return { mode, env, problems };
}

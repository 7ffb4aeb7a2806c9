import { z } from 'zod';
import {
  parseServiceEnv,
  platformConfig,
  platformEnv,
  port,
  type PlatformConfig,
} from './config.loader';
import type { ModeRequirement } from './run-mode';

export interface StageConfig {
  platform: PlatformConfig;
  /** Consumer group id: `<TOPIC_PREFIX>lead-router.<service>` unless set. */
  groupId: string;
  concurrency: number;
  /** Partitions handled at once; unset, as many as the stage's input topic has. */
  partitionsConcurrently: number | undefined;
  /** How long the group waits for a silent member before giving its partitions to others. */
  sessionTimeoutMs: number;
  /**
   * The longest the broker holds a fetch while no record is there (Kafka's fetch.max.wait.ms, 500
   * by default in the Java client). A record that arrives ends the wait at once, so this costs no
   * speed-to-lead; shorter waits only make an idle consumer ask more often.
   */
  fetchMaxWaitMs: number;
  /**
   * How an exactly-once stage (the router's steps) cuts its transactions: `v2` (default), one
   * producer per process, fenced by the group generation (KIP-447); `v1`, one per input partition.
   */
  exactlyOnceVersion: 'v1' | 'v2';
}

/** `KAFKA_EXACTLY_ONCE` unless set (the raw-chain bench's hops follow it too). */
export const DEFAULT_EXACTLY_ONCE: StageConfig['exactlyOnceVersion'] = 'v2';

const stageSchema = (service: string, defaultPort: number) =>
  z
    .object({
      ...platformEnv,
      PORT: port.default(defaultPort),
      GROUP_ID: z.string().optional(),
      STAGE_CONCURRENCY: z.coerce.number().int().min(1).max(1024).default(1),
      STAGE_PARTITIONS_CONCURRENTLY: z.coerce.number().int().min(1).max(64).optional(),
      KAFKA_SESSION_TIMEOUT_MS: z.coerce.number().int().min(6000).max(300_000).default(30_000),
      // FETCH_MAX_WAIT_MS of @lead-router/kafka (this library does not depend on it).
      KAFKA_FETCH_MAX_WAIT_MS: z.coerce.number().int().min(10).max(5_000).default(500),
      // ExactlyOnceVersion of @lead-router/kafka.
      KAFKA_EXACTLY_ONCE: z
        .enum(['v1', 'v2'], { error: 'expected v1 or v2' })
        .default(DEFAULT_EXACTLY_ONCE),
    })
    .transform((e): StageConfig => ({
      platform: platformConfig(service, e, e.PORT),
      groupId: e.GROUP_ID ?? `${e.TOPIC_PREFIX}lead-router.${service}`,
      concurrency: e.STAGE_CONCURRENCY,
      partitionsConcurrently: e.STAGE_PARTITIONS_CONCURRENTLY,
      sessionTimeoutMs: e.KAFKA_SESSION_TIMEOUT_MS,
      fetchMaxWaitMs: e.KAFKA_FETCH_MAX_WAIT_MS,
      exactlyOnceVersion: e.KAFKA_EXACTLY_ONCE,
    }));

/**
 * The configuration every consuming stage shares (platform keys, its HTTP port for /health and
 * /metrics, its consumer group, how much it works on at once) plus the service's own keys from
 * `extra`, and what it needs outside demo mode (`required`, besides the platform's). Problems in
 * all of them are reported together.
 */
export function loadStageConfig<R extends object>(
  service: string,
  defaultPort: number,
  extra: z.ZodType<R> = z.object({}) as unknown as z.ZodType<R>,
  env: Readonly<Record<string, string | undefined>> = process.env,
  required: readonly ModeRequirement[] = [],
): StageConfig & R {
  const [base, own] = parseServiceEnv<[StageConfig, R]>(
    [stageSchema(service, defaultPort), extra],
    { service, required },
    env,
  );
  return Object.freeze({ ...base, ...own });
}

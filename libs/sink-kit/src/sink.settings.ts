import type { ModeRequirement } from '@lead-router/config';
import type { SinkBatching } from '@lead-router/sink-runtime';
import { z } from 'zod';

/** What every sink on the shared layer reads from its environment, besides its own keys. */
export interface SinkSettings {
  /** The rule set to start with, as the router's; later versions come from routing.rules. */
  readonly rulesFile: string;
  /** Budgets and parked destinations, shared by every instance of every sink. */
  readonly redisUrl: string;
  /** Requests in flight at once from one instance, across destinations. */
  readonly maxInFlight: number;
  /** The longest a batch waits for its budget before it goes to a retry tier instead. */
  readonly budgetWaitMs: number;
  /** Aborts a request to a destination that takes longer. */
  readonly requestTimeoutMs: number;
  /** How leads gather into batches: the fetch's linger, and chunks joined across partitions. */
  readonly batching: Omit<SinkBatching, 'partitionsConcurrently'>;
}

/** The rule set the router and every sink start with; the demo's outside production only. */
export const RULES_FILE_REQUIREMENT: ModeRequirement = {
  key: 'ROUTING_RULES_FILE',
  what: 'the rule set to start with (the file leadctl publishes)',
  demoValue: 'deploy/local/rules/demo.yaml',
};

/** What every sink on the shared layer cannot start without outside demo mode. */
export const SINK_REQUIREMENTS: readonly ModeRequirement[] = [
  RULES_FILE_REQUIREMENT,
  {
    key: 'REDIS_URL',
    what: "the Redis that holds every sink instance's budgets and parked destinations",
    demoValue: 'redis://127.0.0.1:6379',
  },
];

/**
 * The sink layer's environment keys, to spread into a sink's own `z.object({...})`; read them
 * back with `sinkSettingsOf`.
 */
export const sinkEnvShape = {
  ROUTING_RULES_FILE: z.string().min(1),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }),
  SINK_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(64),
  SINK_BUDGET_WAIT_MS: z.coerce.number().int().min(0).default(2_000),
  SINK_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
  /**
   * Linger: the longest the broker holds a fetch for SINK_FETCH_MIN_BYTES to gather, so a batch
   * fills while its leads are still in Kafka. A batch sink trades this much speed-to-lead for
   * fewer requests against a destination's budget.
   */
  SINK_LINGER_MS: z.coerce.number().int().min(10).max(5_000).default(250),
  /** About 100 routed leads: a HubSpot batch. */
  SINK_FETCH_MIN_BYTES: z.coerce.number().int().min(1).max(16_777_216).default(65_536),
  /** The longest a partition's chunk waits for the others of its fetch to join its batch. */
  SINK_COALESCE_MS: z.coerce.number().int().min(0).max(1_000).default(50),
};

export function sinkSettingsOf(env: {
  ROUTING_RULES_FILE: string;
  REDIS_URL: string;
  SINK_MAX_IN_FLIGHT: number;
  SINK_BUDGET_WAIT_MS: number;
  SINK_REQUEST_TIMEOUT_MS: number;
  SINK_LINGER_MS: number;
  SINK_FETCH_MIN_BYTES: number;
  SINK_COALESCE_MS: number;
}): SinkSettings {
  return {
    rulesFile: env.ROUTING_RULES_FILE,
    redisUrl: env.REDIS_URL,
    maxInFlight: env.SINK_MAX_IN_FLIGHT,
    budgetWaitMs: env.SINK_BUDGET_WAIT_MS,
    requestTimeoutMs: env.SINK_REQUEST_TIMEOUT_MS,
    batching: {
      fetch: { minBytes: env.SINK_FETCH_MIN_BYTES, maxWaitMs: env.SINK_LINGER_MS },
      coalesceMs: env.SINK_COALESCE_MS,
    },
  };
}

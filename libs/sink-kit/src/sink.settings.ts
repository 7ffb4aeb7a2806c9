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
}

/**
 * The sink layer's environment keys, to spread into a sink's own `z.object({...})`; read them
 * back with `sinkSettingsOf`.
 */
export const sinkEnvShape = {
  ROUTING_RULES_FILE: z.string().min(1).default('deploy/local/rules/demo.yaml'),
  REDIS_URL: z.url({ protocol: /^rediss?$/ }).default('redis://127.0.0.1:6379'),
  SINK_MAX_IN_FLIGHT: z.coerce.number().int().min(1).max(10_000).default(64),
  SINK_BUDGET_WAIT_MS: z.coerce.number().int().min(0).default(2_000),
  SINK_REQUEST_TIMEOUT_MS: z.coerce.number().int().min(100).default(120_000),
};

export function sinkSettingsOf(env: {
  ROUTING_RULES_FILE: string;
  REDIS_URL: string;
  SINK_MAX_IN_FLIGHT: number;
  SINK_BUDGET_WAIT_MS: number;
  SINK_REQUEST_TIMEOUT_MS: number;
}): SinkSettings {
  return {
    rulesFile: env.ROUTING_RULES_FILE,
    redisUrl: env.REDIS_URL,
    maxInFlight: env.SINK_MAX_IN_FLIGHT,
    budgetWaitMs: env.SINK_BUDGET_WAIT_MS,
    requestTimeoutMs: env.SINK_REQUEST_TIMEOUT_MS,
  };
}

import { durationMs } from './duration.parser';
import type { BudgetSetting, CommonDestinationConfig } from './sink.adapter';

/**
 * Request budgets by destination type, from the vendors' published limits
 * (../shared/crm-contracts.md): HubSpot private apps on the lowest tier, 100 per ten seconds and
 * 250,000 a day; Salesforce's smallest production allocation, 100,000 per rolling 24 hours and 25
 * concurrent long requests. Webhooks and PostgreSQL publish none: a generous default that only
 * stops a runaway.
 */
export const DEFAULT_BUDGETS: Readonly<Record<string, BudgetSetting>> = {
  hubspot: { requests: 100, per_seconds: 10, daily: 250_000 },
  salesforce: { requests: 100_000, per_seconds: 86_400, concurrency: 25 },
  webhook: { requests: 10_000, per_seconds: 10 },
  postgres: { requests: 10_000, per_seconds: 10 },
};

const GENEROUS: BudgetSetting = { requests: 10_000, per_seconds: 10 };

export const DEFAULT_RETRY_DELAYS_MS: readonly number[] = [10_000, 60_000, 600_000, 3_600_000];

export const DEFAULT_BREAKER = { failures: 5, halfOpenAfterMs: 30_000, fallbackAfterMs: 300_000 };

/** One window of a budget: at most `points` requests in any `seconds`. */
export interface BudgetWindow {
  readonly points: number;
  readonly seconds: number;
}

export interface BudgetLimits {
  readonly windows: readonly BudgetWindow[];
  readonly concurrency: number | null;
}

/** What the layer does for one destination, every duration in ms. */
export interface DestinationPolicy {
  readonly budget: BudgetLimits;
  readonly retryDelaysMs: readonly number[];
  readonly batchMaxSize: number | null;
  readonly breaker: { failures: number; halfOpenAfterMs: number; fallbackAfterMs: number };
  readonly fallback: string | null;
}

/** The budget of a destination: its type's defaults, each key its `budget` names replaced. */
export function budgetLimits(config: CommonDestinationConfig): BudgetLimits {
  const base = DEFAULT_BUDGETS[config.type] ?? GENEROUS;
  const merged = { ...base, ...stripNullish(config.budget ?? {}) } as BudgetSetting;
  const windows: BudgetWindow[] = [{ points: merged.requests, seconds: merged.per_seconds }];
  if (merged.daily) windows.push({ points: merged.daily, seconds: 86_400 });
  return { windows, concurrency: merged.concurrency ?? null };
}

export function destinationPolicy(config: CommonDestinationConfig): DestinationPolicy {
  const delays = config.retry?.delays;
  const breaker = config.breaker ?? {};
  return {
    budget: budgetLimits(config),
    retryDelaysMs: delays && delays.length > 0 ? delays.map(durationMs) : DEFAULT_RETRY_DELAYS_MS,
    batchMaxSize: config.batch?.max_size ?? null,
    breaker: {
      failures: breaker.failures ?? DEFAULT_BREAKER.failures,
      halfOpenAfterMs:
        breaker.half_open_after !== undefined
          ? durationMs(breaker.half_open_after)
          : DEFAULT_BREAKER.halfOpenAfterMs,
      fallbackAfterMs:
        breaker.fallback_after !== undefined
          ? durationMs(breaker.fallback_after)
          : DEFAULT_BREAKER.fallbackAfterMs,
    },
    fallback: config.fallback ?? null,
  };
}

function stripNullish<T extends object>(o: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(o).filter(([, v]) => v !== null && v !== undefined),
  ) as Partial<T>;
}

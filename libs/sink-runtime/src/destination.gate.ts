import type Redis from 'ioredis';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  RateLimiterRes,
  type RateLimiterAbstract,
} from 'rate-limiter-flexible';
import { limiterWindow } from './budget.slicing';
import type { BudgetLimits } from './destination.policy';

/** A request the budget allowed; `release` ends it (it frees a concurrency slot). */
export type BudgetAnswer =
  | { readonly granted: true; release(): Promise<void> }
  | { readonly granted: false; readonly retryInMs: number };

/**
 * What every instance of a sink shares about a destination: its request budget, and whether it
 * is parked (its quota spent, or stopped) and until when.
 */
export interface DestinationGate {
  /** Takes one request from the destination's budget, or says how long until one is free. */
  acquire(destination: string, limits: BudgetLimits): Promise<BudgetAnswer>;
  park(destination: string, until: number): Promise<void>;
  /** The time the destination is parked until, or null when it is not parked. */
  parkedUntil(destination: string): Promise<number | null>;
}

export type GateStore =
  | { readonly kind: 'redis'; readonly client: Redis; readonly keyPrefix: string }
  | { readonly kind: 'memory' };

/**
 * How long a concurrency slot is held at most when its instance dies before releasing it. The
 * count lives in one key that expires this long after it was created, so it also bounds how long
 * a slot can leak; Salesforce times a request out after 10 minutes.
 */
const CONCURRENCY_LEASE_SECONDS = 600;
/** How soon to ask again for a concurrency slot (no window says when one frees up). */
const CONCURRENCY_POLL_MS = 50;

/**
 * The destination gate on rate-limiter-flexible: in Redis, one limiter per window of the budget
 * (see `limiterWindow`) and one for concurrency, keyed by destination, so every instance of the
 * sink draws on the same points; in memory for a single process and for specs. Parking is a
 * Redis key that expires when the parking ends.
 */
export class LimiterDestinationGate implements DestinationGate {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private readonly parked = new Map<string, number>();

  constructor(
    private readonly store: GateStore,
    private readonly now: () => number = Date.now,
  ) {}

  async acquire(destination: string, limits: BudgetLimits): Promise<BudgetAnswer> {
    for (const window of limits.windows) {
      const w = limiterWindow(window);
      const limiter = this.limiter(`w${window.points}-${window.seconds}`, w.points, w.seconds);
      try {
        await limiter.consume(destination, 1);
      } catch (rejection) {
        if (rejection instanceof RateLimiterRes) {
          return { granted: false, retryInMs: Math.max(1, rejection.msBeforeNext) };
        }
        throw rejection;
      }
    }
    if (limits.concurrency === null) return { granted: true, release: async () => undefined };
    const slots = this.limiter(
      `c${limits.concurrency}`,
      limits.concurrency,
      CONCURRENCY_LEASE_SECONDS,
    );
    try {
      await slots.consume(destination, 1);
    } catch (rejection) {
      if (rejection instanceof RateLimiterRes) {
        // The failed consume counted a point too; give it back.
        await slots.reward(destination, 1);
        return { granted: false, retryInMs: CONCURRENCY_POLL_MS };
      }
      throw rejection;
    }
    return {
      granted: true,
      release: async () => {
        await slots.reward(destination, 1);
      },
    };
  }

  async park(destination: string, until: number): Promise<void> {
    const ms = Math.ceil(until - this.now());
    if (ms <= 0) return;
    if (this.store.kind === 'memory') {
      this.parked.set(destination, until);
      return;
    }
    await this.store.client.set(this.parkKey(destination), String(until), 'PX', ms);
  }

  async parkedUntil(destination: string): Promise<number | null> {
    const raw =
      this.store.kind === 'memory'
        ? this.parked.get(destination)
        : await this.store.client.get(this.parkKey(destination));
    const until = raw === undefined || raw === null ? null : Number(raw);
    return until !== null && until > this.now() ? until : null;
  }

  private parkKey(destination: string): string {
    return this.store.kind === 'redis' ? `${this.store.keyPrefix}:parked:${destination}` : '';
  }

  private limiter(name: string, points: number, duration: number): RateLimiterAbstract {
    let limiter = this.limiters.get(name);
    if (!limiter) {
      limiter =
        this.store.kind === 'redis'
          ? new RateLimiterRedis({
              storeClient: this.store.client,
              keyPrefix: `${this.store.keyPrefix}:${name}`,
              points,
              duration,
            })
          : new RateLimiterMemory({ keyPrefix: name, points, duration });
      this.limiters.set(name, limiter);
    }
    return limiter;
  }
}

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

/** Requests for one destination's budget waiting for the same turn of the event loop. */
interface PendingAcquires {
  readonly destination: string;
  readonly limits: BudgetLimits;
  readonly waiting: { resolve(answer: BudgetAnswer): void; reject(error: unknown): void }[];
}

/**
 * The destination gate on rate-limiter-flexible: in Redis, one limiter per window of the budget
 * (see `limiterWindow`) and one for concurrency, keyed by destination, so every instance of the
 * sink draws on the same points; in memory for a single process and for specs. Parking is a
 * Redis key that expires when the parking ends.
 *
 * The requests for one destination made in one turn of the event loop (a chunk's deliveries start
 * together) take their points in one command per limiter, and the reads of whether it is parked
 * made while one is on its way share its answer: two Redis round trips per delivery before, which
 * cost a webhook sink more of its CPU than the HMAC of the request.
 */
export class LimiterDestinationGate implements DestinationGate {
  private readonly limiters = new Map<string, RateLimiterAbstract>();
  private readonly parked = new Map<string, number>();
  private readonly pending = new Map<string, PendingAcquires>();
  private readonly parkReads = new Map<string, Promise<number | null>>();

  constructor(
    private readonly store: GateStore,
    private readonly now: () => number = Date.now,
  ) {}

  acquire(destination: string, limits: BudgetLimits): Promise<BudgetAnswer> {
    const key = `${destination}\u0000${limitsKey(limits)}`;
    let batch = this.pending.get(key);
    if (batch === undefined) {
      batch = { destination, limits, waiting: [] };
      this.pending.set(key, batch);
      setImmediate(() => this.answer(key));
    }
    const { waiting } = batch;
    return new Promise((resolve, reject) => waiting.push({ resolve, reject }));
  }

  /** Answers the requests that waited for this turn under `key`, from one `acquireMany`. */
  private answer(key: string): void {
    const { destination, limits, waiting } = this.pending.get(key)!;
    this.pending.delete(key);
    this.acquireMany(destination, limits, waiting.length).then(
      (answers) => answers.forEach((answer, i) => waiting[i]!.resolve(answer)),
      (error: unknown) => waiting.forEach((w) => w.reject(error)),
    );
  }

  /**
   * `n` requests from the budget in one consume per limiter, granted in the order asked: as many
   * as each window still holds (a consume counts every point asked, and a window it overfills is
   * spent until it ends either way, as a single refused request leaves it), and as many as there
   * are free concurrency slots (the points beyond them given back: that count must stay exact).
   */
  private async acquireMany(
    destination: string,
    limits: BudgetLimits,
    n: number,
  ): Promise<BudgetAnswer[]> {
    let granted = n;
    let retryInMs = 0;
    for (const window of limits.windows) {
      if (granted === 0) break;
      const w = limiterWindow(window);
      const limiter = this.limiter(`w${window.points}-${window.seconds}`, w.points, w.seconds);
      const refused = await refusal(limiter.consume(destination, granted));
      if (refused === null) continue;
      granted = fitting(granted, w.points, refused);
      retryInMs = Math.max(retryInMs, Math.max(1, refused.msBeforeNext));
    }
    let release = async () => undefined;
    if (limits.concurrency !== null && granted > 0) {
      const slots = this.limiter(
        `c${limits.concurrency}`,
        limits.concurrency,
        CONCURRENCY_LEASE_SECONDS,
      );
      const refused = await refusal(slots.consume(destination, granted));
      if (refused !== null) {
        const fit = fitting(granted, limits.concurrency, refused);
        await slots.reward(destination, granted - fit);
        granted = fit;
        retryInMs = Math.max(retryInMs, CONCURRENCY_POLL_MS);
      }
      release = async () => {
        await slots.reward(destination, 1);
      };
    }
    return Array.from({ length: n }, (_, i) =>
      i < granted ? { granted: true, release } : { granted: false, retryInMs },
    );
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
    let read = this.parkReads.get(destination);
    if (read === undefined) {
      read = this.readParked(destination).finally(() => this.parkReads.delete(destination));
      this.parkReads.set(destination, read);
    }
    const until = await read;
    return until !== null && until > this.now() ? until : null;
  }

  private async readParked(destination: string): Promise<number | null> {
    const raw =
      this.store.kind === 'memory'
        ? this.parked.get(destination)
        : await this.store.client.get(this.parkKey(destination));
    return raw === undefined || raw === null ? null : Number(raw);
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

function limitsKey(limits: BudgetLimits): string {
  const windows = limits.windows.map((w) => `${w.points}/${w.seconds}`).join(',');
  return `${windows};${limits.concurrency ?? ''}`;
}

/** The limiter's refusal, or null when it granted the points. */
async function refusal(consume: Promise<RateLimiterRes>): Promise<RateLimiterRes | null> {
  try {
    await consume;
    return null;
  } catch (rejection) {
    if (rejection instanceof RateLimiterRes) return rejection;
    throw rejection;
  }
}

/** How many of the `asked` points a limiter of `points` had left before the consume it refused. */
function fitting(asked: number, points: number, refused: RateLimiterRes): number {
  const before = refused.consumedPoints - asked;
  return Math.max(0, Math.min(asked, points - before));
}

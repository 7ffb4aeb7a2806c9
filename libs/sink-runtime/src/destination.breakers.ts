import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  circuitBreaker,
  handleAll,
  type CircuitBreakerPolicy,
} from 'cockatiel';

export interface BreakerSettings {
  failures: number;
  halfOpenAfterMs: number;
}

/** A batch whose every answer was a failure: counts against the breaker like a throw. */
export class BatchFailedError<T> extends Error {
  constructor(readonly result: T) {
    super('every lead of the batch failed');
  }
}

export type Guarded<T> =
  { kind: 'ran'; result: T } | { kind: 'threw'; error: unknown } | { kind: 'open' };

interface BreakerEntry {
  policy: CircuitBreakerPolicy;
  /** When it opened after being closed. */
  openedAt: number | null;
  /** When it last opened, a failed probe included. */
  brokeAt: number | null;
  halfOpenAfterMs: number;
  key: string;
}

/**
 * A cockatiel circuit breaker per destination: `failures` consecutive failed requests open it,
 * and after `halfOpenAfterMs` one probe request may pass; its success closes it. An open circuit
 * makes no call. Each instance keeps its own breakers: a failing destination is noticed by each
 * within a few requests.
 */
export class DestinationBreakers {
  private readonly breakers = new Map<string, BreakerEntry>();

  constructor(
    private readonly now: () => number = Date.now,
    private readonly onChange: (destination: string, open: boolean) => void = () => undefined,
  ) {}

  /**
   * Runs `call` through the destination's breaker. `isFailure` says whether a result that did
   * not throw still counts as a failure (every lead of the batch refused for a passing reason).
   */
  async run<T>(
    destination: string,
    settings: BreakerSettings,
    call: () => Promise<T>,
    isFailure: (result: T) => boolean,
  ): Promise<Guarded<T>> {
    const entry = this.entry(destination, settings);
    try {
      const result = await entry.policy.execute(async () => {
        const r = await call();
        if (isFailure(r)) throw new BatchFailedError(r);
        return r;
      });
      return { kind: 'ran', result };
    } catch (error) {
      if (error instanceof BrokenCircuitError) {
        return { kind: 'open' };
      }
      if (error instanceof BatchFailedError) return { kind: 'ran', result: error.result as T };
      return { kind: 'threw', error };
    }
  }

  /**
   * How long the destination's circuit has been open in all (a failed probe opens it again
   * without starting the count anew), or null when it is closed.
   */
  openForMs(destination: string): number | null {
    const entry = this.breakers.get(destination);
    if (!entry || entry.openedAt === null) return null;
    return this.now() - entry.openedAt;
  }

  /**
   * When the destination's open circuit lets its next probe through, or null when it is closed
   * or a probe may pass now.
   */
  probeAt(destination: string): number | null {
    const entry = this.breakers.get(destination);
    if (!entry || entry.openedAt === null || entry.brokeAt === null) return null;
    const at = entry.brokeAt + entry.halfOpenAfterMs;
    return at > this.now() ? at : null;
  }

  private entry(destination: string, settings: BreakerSettings) {
    const key = `${settings.failures}/${settings.halfOpenAfterMs}`;
    const existing = this.breakers.get(destination);
    if (existing && existing.key === key) return existing;
    const policy = circuitBreaker(handleAll, {
      halfOpenAfter: settings.halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(settings.failures),
    });
    const entry: BreakerEntry = {
      policy,
      openedAt: null,
      brokeAt: null,
      halfOpenAfterMs: settings.halfOpenAfterMs,
      key,
    };
    // A failed probe opens it again: the circuit counts as open since it first opened.
    policy.onBreak(() => {
      entry.brokeAt = this.now();
      if (entry.openedAt === null) {
        entry.openedAt = this.now();
        this.onChange(destination, true);
      }
    });
    policy.onReset(() => {
      entry.openedAt = null;
      entry.brokeAt = null;
      this.onChange(destination, false);
    });
    this.breakers.set(destination, entry);
    return entry;
  }
}

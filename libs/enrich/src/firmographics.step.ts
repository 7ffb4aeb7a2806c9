import type { EnrichedLead, Firmographics } from '@lead-router/schemas';
import {
  BrokenCircuitError,
  ConsecutiveBreaker,
  TaskCancelledError,
  TimeoutStrategy,
  circuitBreaker,
  handleAll,
  timeout,
  wrap,
} from 'cockatiel';
import { LRUCache } from 'lru-cache';
import type { EnrichmentStep, StepResult } from './enrichment.step';
import type { FirmographicsProvider } from './firmographics.provider';

export interface FirmographicsStepOptions {
  /** The longest a lead waits for the provider. */
  timeoutMs: number;
  /** Domains remembered, least recently used forgotten first. */
  cacheSize: number;
  /** How long an answer (a company, or "not known") is remembered. */
  cacheTtlMs: number;
  /** Failures in a row (errors and timeouts) that open the circuit. */
  breakerFailures: number;
  /** How long the circuit stays open before one trial call. */
  breakerHalfOpenAfterMs: number;
}

/** A remembered answer; `company` null is a domain the provider does not know. */
interface Cached {
  company: Firmographics | null;
}

/**
 * Company size, industry and revenue for the company domain from a provider, bounded in time:
 * an answer in the cache costs no call, leads of a domain already being asked about wait for
 * that call; otherwise the call is abandoned (and aborted) after
 * `timeoutMs`; failures and timeouts in a row open a circuit, and while it is open leads skip
 * the provider at once as `circuit_open` until a trial call after `breakerHalfOpenAfterMs`
 * succeeds. Failures are not cached, so the provider is asked again once it is back.
 */
export class FirmographicsStep implements EnrichmentStep {
  readonly name = 'firmographics';
  readonly timeoutMs: number;
  private readonly cache: LRUCache<string, Cached>;
  /** Lookups on the wire by domain: leads of one domain arriving together share one call. */
  private readonly inFlight = new Map<string, Promise<StepResult>>();
  private readonly breaker;
  private readonly policy;
  /** Until when the open circuit refuses calls: leads before then skip without a promise. */
  private openUntil = 0;

  constructor(
    private readonly provider: FirmographicsProvider,
    options: FirmographicsStepOptions,
  ) {
    this.timeoutMs = options.timeoutMs;
    this.cache = new LRUCache<string, Cached>({ max: options.cacheSize, ttl: options.cacheTtlMs });
    this.breaker = circuitBreaker(handleAll, {
      halfOpenAfter: options.breakerHalfOpenAfterMs,
      breaker: new ConsecutiveBreaker(options.breakerFailures),
    });
    this.breaker.onBreak(() => {
      this.openUntil = Date.now() + options.breakerHalfOpenAfterMs;
    });
    // The breaker outside the timeout, so that a provider that only ever times out opens it too.
    this.policy = wrap(this.breaker, timeout(options.timeoutMs, TimeoutStrategy.Aggressive));
  }

  /** The circuit's state, for metrics and logs: closed, open, half-open or isolated. */
  get circuitState(): string {
    return ['closed', 'open', 'half-open', 'isolated'][this.breaker.state] ?? 'unknown';
  }

  run({ enrichment }: EnrichedLead): StepResult | Promise<StepResult> {
    const domain = enrichment.company_domain;
    if (domain === null) return { status: 'skipped' };
    const cached = this.cache.get(domain);
    if (cached !== undefined) return resultOf(cached);
    // Past openUntil the call goes to the breaker, which lets one trial through (half-open).
    if (this.openUntil > Date.now()) return CIRCUIT_OPEN;
    let pending = this.inFlight.get(domain);
    if (pending === undefined) {
      pending = this.ask(domain).finally(() => this.inFlight.delete(domain));
      this.inFlight.set(domain, pending);
    }
    return pending;
  }

  private async ask(domain: string): Promise<StepResult> {
    try {
      const company = await this.policy.execute(({ signal }) =>
        this.provider.lookup(domain, signal),
      );
      const answer = { company };
      this.cache.set(domain, answer);
      return resultOf(answer);
    } catch (error) {
      if (error instanceof BrokenCircuitError) return CIRCUIT_OPEN;
      if (error instanceof TaskCancelledError) return { status: 'timeout' };
      return { status: 'unavailable' };
    }
  }
}

const CIRCUIT_OPEN: StepResult = { status: 'circuit_open' };

function resultOf({ company }: Cached): StepResult {
  return company === null
    ? { status: 'no_match' }
    : { status: 'ok', patch: { firmographics: company } };
}

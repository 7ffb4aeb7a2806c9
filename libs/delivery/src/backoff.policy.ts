export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** The server's Retry-After, from retryAfterMs; the delay is never shorter than it. */
  retryAfterMs?: number | null;
}

/**
 * Exponential backoff with full jitter: a uniform delay in [0, min(maxMs, baseMs·2^(attempt-1))),
 * `attempt` counting from 1. Full jitter spreads retries of many failed leads apart.
 */
export function backoffDelay(attempt: number, opts: BackoffOptions, random: () => number): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const ceiling = Math.min(opts.maxMs, opts.baseMs * 2 ** Math.min(exponent, 52));
  const jittered = Math.floor(random() * ceiling);
  return Math.max(jittered, opts.retryAfterMs ?? 0);
}

/** A Retry-After header (delta-seconds or an HTTP date) as milliseconds from `nowMs`; null if unusable. */
export function retryAfterMs(headerValue: string | null | undefined, nowMs: number): number | null {
  const value = headerValue?.trim() ?? '';
  if (value === '') return null;
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  // All three HTTP date forms start with the weekday; Date.parse alone would take "-5" as a year.
  if (!/^[A-Za-z]{3,9},? /.test(value)) return null;
  const at = Date.parse(value);
  return Number.isNaN(at) ? null : Math.max(0, at - nowMs);
}

/** What `retryWhile` is told about a failed attempt. */
export interface RetryFailure {
  err: unknown;
  /** 1 for the first attempt. */
  attempt: number;
  /** Since the first attempt began, in ms. */
  waitedMs: number;
  /** How long it waits before the next attempt (0 when it gives up). */
  delayMs: number;
}

export interface RetryOptions {
  /** Whether a failure is worth another attempt; any other is thrown at once. */
  worthRetrying: (err: unknown) => boolean;
  /** No attempt starts later than this after the first one began. */
  timeoutMs: number;
  /** The first wait between attempts; it doubles up to `maxDelayMs`. */
  initialDelayMs: number;
  maxDelayMs: number;
  /** Told before each wait (a log line, say). */
  onRetry?: (failure: RetryFailure) => void;
  /** The error thrown when the time is up; by default the last failure's own. */
  giveUp?: (failure: RetryFailure) => unknown;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/**
 * Calls `attempt` until it succeeds, waiting between attempts with a doubling, capped delay while
 * its failures are worth another try and the time allows one more.
 */
export async function retryWhile<T>(attempt: () => Promise<T>, options: RetryOptions): Promise<T> {
  const now = options.now ?? Date.now;
  const sleep =
    options.sleep ?? ((ms: number) => new Promise<void>((done) => setTimeout(done, ms)));
  const started = now();
  let delayMs = options.initialDelayMs;
  for (let count = 1; ; count++) {
    try {
      return await attempt();
    } catch (err) {
      if (!options.worthRetrying(err)) throw err;
      const waitedMs = now() - started;
      if (waitedMs + delayMs > options.timeoutMs) {
        throw options.giveUp ? options.giveUp({ err, attempt: count, waitedMs, delayMs: 0 }) : err;
      }
      options.onRetry?.({ err, attempt: count, waitedMs, delayMs });
    }
    await sleep(delayMs);
    delayMs = Math.min(delayMs * 2, options.maxDelayMs);
  }
}

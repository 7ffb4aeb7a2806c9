/**
 * Runs `work` with a signal that aborts after `ms` (with a `TimeoutError`, as
 * `AbortSignal.timeout`'s) or when `outer` aborts, and ends both when `work` settles: the timer is
 * cleared and the listener on `outer` removed. `AbortSignal.timeout` keeps its timer (and what it
 * holds) until the deadline passes even after the request ended, so a sink with a two-minute
 * request timeout delivering a thousand leads a second kept over a hundred thousand timers alive.
 */
export async function withDeadline<T>(
  ms: number,
  work: (signal: AbortSignal) => Promise<T>,
  outer?: AbortSignal,
): Promise<T> {
  const controller = new AbortController();
  const timer = setTimeout(
    () => controller.abort(new DOMException(`no answer within ${ms} ms`, 'TimeoutError')),
    ms,
  );
  const onAbort = () => controller.abort(outer?.reason);
  if (outer?.aborted) onAbort();
  else outer?.addEventListener('abort', onAbort, { once: true });
  try {
    return await work(controller.signal);
  } finally {
    clearTimeout(timer);
    outer?.removeEventListener('abort', onAbort);
  }
}

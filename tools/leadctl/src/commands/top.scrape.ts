import { errorMessage } from '@lead-router/errors';
import { parseExposition } from '@lead-router/observability';
import type { Scrape } from './top.frame';
import type { Target } from './top.targets';

/** Why a fetch failed, in a few words: undici hides the socket's error code in its cause. */
function reasonOf(err: unknown): string {
  if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
  const cause = err instanceof Error ? (err.cause as { code?: unknown } | undefined) : undefined;
  return typeof cause?.code === 'string' ? cause.code : errorMessage(err);
}

/** One read of a target's /metrics; a target that does not answer gives the reason, never throws. */
export async function scrape(target: Target, timeoutMs: number): Promise<Scrape> {
  let at = Date.now();
  try {
    const res = await fetch(`${target.url}/metrics`, { signal: AbortSignal.timeout(timeoutMs) });
    // The values are as of the service's answer, which a busy client may see well after it asked.
    at = Date.now();
    const body = await res.text();
    if (res.status !== 200) return { target, at, samples: null, error: `HTTP ${res.status}` };
    return { target, at, samples: parseExposition(body).samples };
  } catch (err) {
    return { target, at, samples: null, error: reasonOf(err) };
  }
}

export const scrapeAll = (targets: readonly Target[], timeoutMs: number): Promise<Scrape[]> =>
  Promise.all(targets.map((t) => scrape(t, timeoutMs)));

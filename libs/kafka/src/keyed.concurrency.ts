/**
 * Maps items with at most `limit` in flight, keeping items that share a key in their original
 * order (one lead's events must not overtake each other). Items without a key wait for room
 * only. Results come back in input order. A failure rejects the map; with a limit above 1 the
 * items already under way still run, and the next item of the failed one's key still starts.
 */
export async function mapKeyed<T, R>(
  items: readonly T[],
  limit: number,
  keyOf: (item: T) => string | null,
  fn: (item: T) => Promise<R>,
): Promise<R[]> {
  if (limit <= 1) {
    const out: R[] = [];
    for (const item of items) out.push(await fn(item));
    return out;
  }
  const results = new Array<R>(items.length);
  const tails = new Map<string, Promise<unknown>>();
  let active = 0;
  const waiting: (() => void)[] = [];
  const acquire = async () => {
    if (active >= limit) await new Promise<void>((resolve) => waiting.push(resolve));
    active++;
  };
  const release = () => {
    active--;
    waiting.shift()?.();
  };
  const all = items.map((item, index) => {
    const key = keyOf(item);
    const previous = key !== null ? tails.get(key) : undefined;
    const run = (async () => {
      if (previous) await previous.catch(() => undefined);
      await acquire();
      try {
        results[index] = await fn(item);
      } finally {
        release();
      }
    })();
    if (key !== null) tails.set(key, run);
    return run;
  });
  await Promise.all(all);
  return results;
}

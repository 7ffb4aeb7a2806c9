/**
 * Cuts items into batches of at most `max`, in order, starting a new batch whenever an item shares
 * a key with one already in the current batch: what a vendor does with the same record twice in
 * one request is not documented, and one record per key keeps every answer attributable.
 */
export function splitIntoBatches<T>(
  items: readonly T[],
  max: number,
  keysOf: (item: T) => readonly string[],
): T[][] {
  const batches: T[][] = [];
  let current: T[] = [];
  let seen = new Set<string>();
  for (const item of items) {
    const keys = keysOf(item);
    if (current.length >= max || keys.some((key) => seen.has(key))) {
      batches.push(current);
      current = [];
      seen = new Set();
    }
    current.push(item);
    for (const key of keys) seen.add(key);
  }
  if (current.length > 0) batches.push(current);
  return batches;
}

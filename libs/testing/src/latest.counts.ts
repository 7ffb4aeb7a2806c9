/**
 * Each distinct key with how often it came, the last `n` of them by their latest occurrence, as
 * "key ×count": what a failure message shows of a stream of complaints.
 */
export function latestCounts(keys: Iterable<string>, n: number): string[] {
  const counts = new Map<string, number>();
  for (const key of keys) {
    // Re-inserted, so the map's order is by each key's last occurrence.
    const seen = counts.get(key) ?? 0;
    counts.delete(key);
    counts.set(key, seen + 1);
  }
  return [...counts].slice(-n).map(([key, count]) => `${key} ×${count}`);
}

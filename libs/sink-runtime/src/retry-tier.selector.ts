/** One retry tier of a sink: a topic whose records wait about `delayMs` before they are due. */
export interface RetryTier {
  readonly topic: string;
  readonly delayMs: number;
}

/**
 * The tier for a lead due in `delayMs`: the shortest whose delay covers it, else the longest. The
 * record carries its own due time, so a tier only needs to hold it at least that long.
 */
export function tierFor(tiers: readonly RetryTier[], delayMs: number): RetryTier {
  if (tiers.length === 0) throw new RangeError('a sink needs at least one retry tier');
  const sorted = [...tiers].sort((a, b) => a.delayMs - b.delayMs);
  return sorted.find((t) => t.delayMs >= delayMs) ?? sorted[sorted.length - 1]!;
}

export function longestDelayMs(tiers: readonly RetryTier[]): number {
  return Math.max(...tiers.map((t) => t.delayMs));
}

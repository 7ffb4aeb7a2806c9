/**
 * One queue's distribution state, as a plain JSON value. The router keeps it per queue in a
 * compacted changelog topic keyed by queue name, so it is self-contained and bounded: per
 * member a few numbers, assignment times only within the capacity window (at most `max`), and
 * load counts in at most LOAD_BUCKETS + 1 time buckets.
 */
export interface QueueState {
  /** Leads this queue has assigned so far: the rotation counter. */
  position: number;
  /** By member id, so adding or removing a member leaves everyone else's place alone. */
  members: Record<string, MemberState>;
}

export interface MemberState {
  /** The queue position of the member's latest lead; rotation serves the oldest first. */
  last: number | null;
  /** Smooth weighted round-robin's running weight. */
  current: number;
  /** Assignment times (ms) still inside the capacity window, ascending. */
  recent: number[];
  /** load_balanced: [bucket start ms, leads] inside the queue's window, ascending. */
  load: [number, number][];
  /** Skipped as out of office or out of hours since its last turn. */
  away: boolean;
}

/** How many buckets load_balanced splits its window into. */
export const LOAD_BUCKETS = 48;

export function emptyQueueState(): QueueState {
  return { position: 0, members: {} };
}

/**
 * Node's timers hold at most 2^31−1 ms (about 24.8 days); a longer delay fires at once. A record
 * due later than that is simply read again when the shorter wait ends and waits again.
 */
export const MAX_DUE_WAIT_MS = 2 ** 31 - 1;

/** What a partition's batch may do at `now`, given each record's due time in offset order. */
export type DueGate =
  /** Every record is due: handle them all. */
  | { kind: 'all-due' }
  /**
   * Handle the first `ready` records; the record at index `ready` is not due until `dueAt`, and
   * the partition waits `waitMs` before it is read again (records after it wait behind it, since
   * a partition is handled in offset order).
   */
  | { kind: 'wait'; ready: number; dueAt: number; waitMs: number };

/**
 * Splits a batch at its first record that is not due yet. A record without a due time (null) is
 * due now, so a stage that gates only some records lets the others through.
 */
export function gateByDueTime(dueTimes: readonly (number | null)[], now: number): DueGate {
  const ready = dueTimes.findIndex((due) => due !== null && due > now);
  if (ready === -1) return { kind: 'all-due' };
  const dueAt = dueTimes[ready]!;
  return { kind: 'wait', ready, dueAt, waitMs: Math.min(dueAt - now, MAX_DUE_WAIT_MS) };
}

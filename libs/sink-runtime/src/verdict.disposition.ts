import type { DeliveryVerdict } from '@lead-router/delivery';

/**
 * What becomes of one (lead, destination) after a send, or after the layer held the send back:
 *
 * - `delivered` / `failed`: final, an outcome is written (and a dead letter for `failed`).
 * - `retry`: the lead goes to a retry tier, due in `delayMs`. `counts` says whether this was an
 *   attempt (a failure the destination answered) or only a wait (quota, budget, open circuit),
 *   which must not use up the lead's retries.
 * - `fallback`: the lead goes to the destination's fallback; a FELL_BACK outcome for this one.
 */
export type Disposition =
  | { kind: 'delivered'; crmId: string | null; httpStatus?: number }
  | { kind: 'failed'; code: string; message: string; httpStatus?: number }
  | { kind: 'retry'; delayMs: number; reason: string; counts: boolean }
  | { kind: 'fallback'; to: string; reason: string };

export interface DispositionContext {
  /** The attempt that was just made (1 for the first). */
  attempts: number;
  retryDelaysMs: readonly number[];
  /** The fallback destination, null when there is none or the lead is already on a fallback. */
  fallback: string | null;
  /** The longest retry tier's delay: where a stopped destination's leads wait. */
  longestDelayMs: number;
  now: number;
}

/**
 * The disposition of a verdict. Retries follow the destination's delays, one per attempt, never
 * sooner than the destination asked; after the last delay the lead falls back or fails.
 */
export function dispositionFor(verdict: DeliveryVerdict, ctx: DispositionContext): Disposition {
  switch (verdict.kind) {
    case 'delivered':
      return { kind: 'delivered', crmId: verdict.crmId, ...status(verdict.httpStatus) };
    case 'permanent':
      return {
        kind: 'failed',
        code: verdict.code,
        message: verdict.message,
        ...status(verdict.httpStatus),
      };
    case 'wait_for_quota':
      return {
        kind: 'retry',
        delayMs:
          verdict.until !== undefined
            ? Math.max(0, verdict.until - ctx.now)
            : (ctx.retryDelaysMs[0] ?? ctx.longestDelayMs),
        reason: `quota spent: ${verdict.reason}`,
        counts: false,
      };
    case 'stop':
      return attempted(ctx, ctx.longestDelayMs, `destination stopped: ${verdict.alert}`);
    case 'retry':
      return attempted(ctx, verdict.retryAfterMs ?? 0, verdict.reason);
    case 'refresh_token':
      return attempted(ctx, 0, `token refresh: ${verdict.reason}`);
    case 'resend':
      return attempted(ctx, 0, `resend: ${verdict.reason}`);
  }
}

/** The answer's HTTP status, carried to the outcome when the verdict has one. */
function status(httpStatus: number | undefined): { httpStatus?: number } {
  return httpStatus === undefined ? {} : { httpStatus };
}

/** A failed attempt: the next delay, or the end of the retries. */
function attempted(ctx: DispositionContext, atLeastMs: number, reason: string): Disposition {
  const delay = ctx.retryDelaysMs[ctx.attempts - 1];
  if (delay === undefined) return exhausted(ctx, reason);
  return { kind: 'retry', delayMs: Math.max(delay, atLeastMs), reason, counts: true };
}

function exhausted(ctx: DispositionContext, reason: string): Disposition {
  const tries = `after ${ctx.attempts} attempts`;
  if (ctx.fallback !== null) {
    return { kind: 'fallback', to: ctx.fallback, reason: `${tries}: ${reason}` };
  }
  return { kind: 'failed', code: 'retries_exhausted', message: `${tries}, last: ${reason}` };
}

/**
 * Held back without a call (open circuit): a wait of `waitMs`, until the circuit lets its next
 * probe through, or the fallback once it has been open too long.
 */
export function openCircuitDisposition(args: {
  openForMs: number;
  fallbackAfterMs: number;
  waitMs: number;
  fallback: string | null;
}): Disposition {
  const seconds = Math.round(args.openForMs / 1000);
  if (args.fallback !== null && args.openForMs >= args.fallbackAfterMs) {
    return { kind: 'fallback', to: args.fallback, reason: `circuit open for ${seconds}s` };
  }
  return {
    kind: 'retry',
    delayMs: Math.max(0, args.waitMs),
    reason: `circuit open for ${seconds}s`,
    counts: false,
  };
}

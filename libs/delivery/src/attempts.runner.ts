import { backoffDelay, retryAfterMs } from './backoff.policy';
import { classifyResponse } from './response.classifier';

/** What one HTTP attempt came back with; status null means no response (network, timeout). */
export interface AttemptResponse {
  status: number | null;
  retryAfter?: string | null;
  /** The destination's own id for the record, when its response carries one. */
  externalId?: string | null;
  error?: string;
}

export interface AttemptPolicy {
  maxAttempts: number;
  baseMs: number;
  maxMs: number;
}

export interface AttemptEffects {
  send(attempt: number): Promise<AttemptResponse>;
  sleep(ms: number): Promise<void>;
  random(): number;
  now(): number;
}

export type AttemptsResult =
  | { status: 'DELIVERED'; attempts: number; httpStatus: number; externalId: string | null }
  | {
      status: 'FAILED';
      attempts: number;
      httpStatus: number | null;
      /** rejected: the destination refused it for good; exhausted: it kept failing. */
      code: 'delivery_rejected' | 'delivery_exhausted';
      error: string;
    };

/**
 * Sends until the destination accepts, refuses for good, or the attempts run out, backing off
 * with full jitter and never sooner than the destination's Retry-After. The effects are passed
 * in, so the policy is tested without a network or a clock.
 */
export async function runAttempts(
  policy: AttemptPolicy,
  effects: AttemptEffects,
): Promise<AttemptsResult> {
  let last: AttemptResponse = { status: null };
  for (let attempt = 1; attempt <= policy.maxAttempts; attempt++) {
    last = await effects.send(attempt);
    const verdict = classifyResponse(last.status);
    if (verdict === 'delivered') {
      return {
        status: 'DELIVERED',
        attempts: attempt,
        httpStatus: last.status as number,
        externalId: last.externalId ?? null,
      };
    }
    if (verdict === 'reject') {
      return {
        status: 'FAILED',
        attempts: attempt,
        httpStatus: last.status,
        code: 'delivery_rejected',
        error: `the destination refused the lead with HTTP ${last.status}${detail(last)}`,
      };
    }
    if (attempt < policy.maxAttempts) {
      const wait = backoffDelay(
        attempt,
        {
          baseMs: policy.baseMs,
          maxMs: policy.maxMs,
          retryAfterMs: retryAfterMs(last.retryAfter, effects.now()),
        },
        effects.random,
      );
      await effects.sleep(wait);
    }
  }
  return {
    status: 'FAILED',
    attempts: policy.maxAttempts,
    httpStatus: last.status,
    code: 'delivery_exhausted',
    error: `no success after ${policy.maxAttempts} attempts; last: ${
      last.status === null ? 'no response' : `HTTP ${last.status}`
    }${detail(last)}`,
  };
}

function detail(response: AttemptResponse): string {
  return response.error ? ` (${response.error})` : '';
}

import type { AttemptResponse } from './attempts.runner';
import { retryAfterMs } from './backoff.policy';
import type { DeliveryVerdict } from './delivery-verdict.type';

export type ResponseClass = 'delivered' | 'retry' | 'reject';

// 409 is retried: a receiver deduplicating on webhook-id may answer it while an earlier attempt
// of the same delivery is still in flight.
const RETRIABLE_4XX = new Set([408, 409, 425, 429]);

/**
 * What to do after an attempt: `status` null means no response (connection error or timeout).
 * 3xx is a rejection, as the Standard Webhooks spec advises: the URL should be fixed instead.
 */
export function classifyResponse(status: number | null): ResponseClass {
  if (status === null) return 'retry';
  if (status >= 200 && status <= 299) return 'delivered';
  if (status >= 500 || RETRIABLE_4XX.has(status)) return 'retry';
  return 'reject';
}

/**
 * The shared verdict for one webhook attempt, built on `classifyResponse`: a 2xx is delivered
 * (with the receiver's id for the record, if it sent one), a retriable answer waits at least as
 * long as its Retry-After, anything else is refused for good with the receiver's status.
 */
export function webhookVerdict(response: AttemptResponse, nowMs: number): DeliveryVerdict {
  const detail = response.error ? ` (${response.error})` : '';
  switch (classifyResponse(response.status)) {
    case 'delivered':
      return {
        kind: 'delivered',
        crmId: response.externalId ?? null,
        created: null,
        ...(response.status !== null ? { httpStatus: response.status } : {}),
      };
    case 'retry': {
      const wait = retryAfterMs(response.retryAfter, nowMs);
      const reason =
        response.status === null ? `no response${detail}` : `HTTP ${response.status}${detail}`;
      return {
        kind: 'retry',
        reason,
        ...(wait !== null ? { retryAfterMs: wait } : {}),
        ...(response.status !== null ? { httpStatus: response.status } : {}),
      };
    }
    case 'reject':
      return {
        kind: 'permanent',
        code: `http_${response.status}`,
        message: `the destination refused the lead with HTTP ${response.status}${detail}`,
        ...(response.status !== null ? { httpStatus: response.status } : {}),
      };
  }
}

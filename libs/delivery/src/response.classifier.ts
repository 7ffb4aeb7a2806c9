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

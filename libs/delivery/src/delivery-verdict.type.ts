/**
 * What a sink does next with one lead for one destination, whatever the destination is. Every
 * sink's classifier answers with one verdict per lead, so the shared sink layer acts on them the
 * same way for a webhook, Salesforce or HubSpot:
 *
 * - `delivered`: the destination holds the record; `crmId` is its id there when it said so.
 *   `httpStatus`, on this and on `permanent`, is the status of the answer that decided it, when
 *   one answer decided it for this lead alone (a webhook); a batch answer leaves it out. On the
 *   other kinds it is the status of the answer that decided the whole batch (a 503, a 429), when
 *   there was one: the lead's delivery attempt records it.
 * - `retry`: a passing failure; try again later, never sooner than `retryAfterMs` from now.
 * - `wait_for_quota`: the destination's quota is spent; park the destination (not only the lead)
 *   until `until` (epoch ms), or until a probe succeeds when the destination does not say when.
 * - `refresh_token`: the credential expired; mint a new one once for all workers, replay once.
 * - `resend`: the lead was fine but was rolled back with a failed neighbour; send it again at once.
 * - `stop`: the destination cannot be used until a person acts (`alert` says what to do).
 * - `permanent`: the destination refused this lead for good; dead-letter it with `code`/`message`.
 */
export type DeliveryVerdict =
  | { kind: 'delivered'; crmId: string | null; created: boolean | null; httpStatus?: number }
  | { kind: 'retry'; reason: string; retryAfterMs?: number; httpStatus?: number }
  | { kind: 'wait_for_quota'; reason: string; until?: number; httpStatus?: number }
  | { kind: 'refresh_token'; reason: string; httpStatus?: number }
  | { kind: 'resend'; reason: string; httpStatus?: number }
  | { kind: 'stop'; alert: string; httpStatus?: number }
  | { kind: 'permanent'; code: string; message: string; httpStatus?: number };

export type DeliveryVerdictKind = DeliveryVerdict['kind'];

export const DELIVERY_VERDICT_KINDS: readonly DeliveryVerdictKind[] = [
  'delivered',
  'retry',
  'wait_for_quota',
  'refresh_token',
  'resend',
  'stop',
  'permanent',
];

/** One lead's verdict inside a batch answer, by the lead's id. */
export interface LeadVerdict {
  leadId: string;
  verdict: DeliveryVerdict;
}

/** Does this verdict end the (lead, destination) pair, so an outcome can be written? */
export function isFinalVerdict(verdict: DeliveryVerdict): boolean {
  return verdict.kind === 'delivered' || verdict.kind === 'permanent';
}

import { v5 as uuidv5 } from 'uuid';

/** UUIDv5 of `https://lead-router.dev/ns/delivery-id` in the URL namespace; never to change. */
export const DELIVERY_ID_NAMESPACE = 'b6d888e5-3787-5a8d-b006-046bfb189590';

/**
 * The id of one lead's delivery to one destination, sent as `webhook-id`: the same across
 * retries, restarts and replays, so the receiver can drop duplicates.
 */
export function deliveryIdFor(leadId: string, destinationId: string): string {
  return `msg_${uuidv5(`${leadId}\u0000${destinationId}`, DELIVERY_ID_NAMESPACE)}`;
}

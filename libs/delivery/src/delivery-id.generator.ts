import { createHash } from 'node:crypto';

/** UUIDv5 of `https://lead-router.dev/ns/delivery-id` in the URL namespace; never to change. */
export const DELIVERY_ID_NAMESPACE = 'b6d888e5-3787-5a8d-b006-046bfb189590';

const NAMESPACE_BYTES = Buffer.from(DELIVERY_ID_NAMESPACE.replaceAll('-', ''), 'hex');

/**
 * The id of one lead's delivery to one destination, sent as `webhook-id`: the same across
 * retries, restarts and replays, so the receiver can drop duplicates. A UUIDv5 (RFC 9562, 5.5)
 * of `lead id NUL destination id` in DELIVERY_ID_NAMESPACE, hashed with node:crypto directly:
 * the `uuid` package's v5 copies the name through JavaScript arrays, 3% of the sink's CPU.
 */
export function deliveryIdFor(leadId: string, destinationId: string): string {
  const hash = createHash('sha1')
    .update(NAMESPACE_BYTES)
    .update(`${leadId}\u0000${destinationId}`, 'utf8')
    .digest();
  hash[6] = (hash[6]! & 0x0f) | 0x50;
  hash[8] = (hash[8]! & 0x3f) | 0x80;
  const hex = hash.toString('hex', 0, 16);
  return `msg_${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

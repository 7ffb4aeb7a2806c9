import { type KeyObject, createHmac, createSecretKey } from 'node:crypto';
import type { Destination, RoutedLead } from '@lead-router/schemas';
import { deliveryIdFor } from './delivery-id.generator';
import { DestinationError } from './destination.error';

export const LEAD_ROUTED_EVENT = 'lead.routed';

/** A signed POST; `body` is the JSON text, or its UTF-8 bytes as the sink sends them. */
export interface WebhookRequest<Body extends string | Buffer = string> {
  url: string;
  headers: Record<string, string>;
  body: Body;
  deliveryId: string;
}

function iso(epochMs: number): string {
  return new Date(epochMs).toISOString();
}

/**
 * The Standard Webhooks envelope (`type`, `timestamp`, `data`). `timestamp` is when the lead was
 * routed, not the attempt time, so every retry sends the same body; only `webhook-timestamp`
 * changes. https://github.com/standard-webhooks/standard-webhooks/blob/main/spec/standard-webhooks.md
 */
export function leadRoutedPayload(routed: RoutedLead, destination: Destination): unknown {
  const { lead, enrichment, decision } = routed;
  return {
    type: LEAD_ROUTED_EVENT,
    timestamp: iso(decision.decided_at),
    data: {
      lead_id: lead.lead_id,
      source: lead.source,
      source_lead_id: lead.source_lead_id,
      received_at: iso(lead.received_at),
      email: lead.email,
      phone: lead.phone,
      phone_country: lead.phone_country,
      first_name: lead.first_name,
      last_name: lead.last_name,
      company: lead.company,
      job_title: lead.job_title,
      website: lead.website,
      country: lead.country,
      message: lead.message,
      attributes: lead.attributes,
      phone_type: lead.phone_type,
      phone_extension: lead.phone_extension,
      subdivision: lead.subdivision,
      company_domain: lead.company_domain,
      company_size: lead.company_size,
      industry: lead.industry,
      utm: lead.utm,
      consent: lead.consent,
      submitted_at: lead.submitted_at === null ? null : iso(lead.submitted_at),
      quality_flags: lead.quality_flags,
      enrichment: {
        email_domain: enrichment.email_domain,
        company_domain: enrichment.company_domain,
        free_mail: enrichment.free_mail,
        disposable: enrichment.disposable,
        role_address: enrichment.role_address,
        ip_country: enrichment.ip_country,
        ip_region: enrichment.ip_region,
        firmographics: enrichment.firmographics,
        score: enrichment.score,
        account: enrichment.account,
        duplicate_of: enrichment.duplicate_of,
      },
      owner_id: destination.owner_id,
      queue: decision.queue,
      decision: {
        rule_set_version: decision.rule_set_version,
        matched_rule: decision.matched_rule,
        reason: decision.reason,
        fallback: decision.fallback,
        distribution: decision.distribution,
      },
    },
  };
}

const SECRET_PREFIX = 'whsec_';
const keys = new Map<string, KeyObject>();

function signingKey(secret: string): KeyObject {
  let key = keys.get(secret);
  if (key === undefined) {
    key = createSecretKey(
      Buffer.from(
        secret.startsWith(SECRET_PREFIX) ? secret.slice(SECRET_PREFIX.length) : secret,
        'base64',
      ),
    );
    if (keys.size >= 64) keys.clear();
    keys.set(secret, key);
  }
  return key;
}

/**
 * The Standard Webhooks `v1` signature: HMAC-SHA256 over `id.timestamp.body` with the secret's
 * base64 bytes, in base64. node:crypto rather than the `standardwebhooks` package, whose pure-JS
 * SHA-256 was 5% of the sink's CPU; the specs verify its output with that package. The body is
 * hashed where it lies (text as UTF-8, or the bytes to be sent), never copied into one string.
 */
export function signWebhook(
  secret: string,
  deliveryId: string,
  timestampSeconds: number,
  body: string | Buffer,
): string {
  const mac = createHmac('sha256', signingKey(secret))
    .update(`${deliveryId}.${timestampSeconds}.`)
    .update(body)
    .digest('base64');
  return `v1,${mac}`;
}

/**
 * The signed POST for one destination. `secret` is a Standard Webhooks secret (`whsec_` + base64);
 * `nowSeconds` is the attempt time, which the receiver checks against replays.
 */
export function webhookRequest(
  routed: RoutedLead,
  destination: Destination,
  secret: string,
  nowSeconds: number,
): WebhookRequest {
  const deliveryId = deliveryIdFor(routed.lead.lead_id, destination.id);
  return signed(routed, destination, secret, nowSeconds, deliveryId, (json) => json);
}

/**
 * `webhookRequest` as the sink sends it: the body serialized once into the UTF-8 bytes that are
 * both signed and written to the socket, so one delivery holds one copy of its body; its id the
 * task's, made once for the request and the outcome (`deliveryIdFor` when none is given).
 */
export function encodedWebhookRequest(
  routed: RoutedLead,
  destination: Destination,
  secret: string,
  nowSeconds: number,
  deliveryId: string = deliveryIdFor(routed.lead.lead_id, destination.id),
): WebhookRequest<Buffer> {
  return signed(routed, destination, secret, nowSeconds, deliveryId, (json) =>
    Buffer.from(json, 'utf8'),
  );
}

function signed<Body extends string | Buffer>(
  routed: RoutedLead,
  destination: Destination,
  secret: string,
  nowSeconds: number,
  deliveryId: string,
  encode: (json: string) => Body,
): WebhookRequest<Body> {
  if (destination.url === null) {
    throw new DestinationError(
      `destination ${destination.id} has no url; a webhook destination needs one`,
      'destination_without_url',
      destination.id,
    );
  }
  const body = encode(JSON.stringify(leadRoutedPayload(routed, destination)));
  const timestamp = Math.floor(nowSeconds);
  return {
    url: destination.url,
    headers: {
      'content-type': 'application/json',
      'webhook-id': deliveryId,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(secret, deliveryId, timestamp, body),
    },
    body,
    deliveryId,
  };
}

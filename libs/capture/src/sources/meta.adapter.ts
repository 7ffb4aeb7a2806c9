import { err, ok, type Result } from '@lead-router/errors';
import type { SourceLeadReference } from '@lead-router/schemas';
import { type FieldMapping, mapAnswers } from './field.mapping';
import { hmacMatches, secretsEqual } from './signature.verifier';

/**
 * Meta Lead Ads, as its Webhooks and Lead Ads retrieval documentation describes them: a GET
 * handshake when the subscription is set up, then a POST per change of the Page, signed with
 * the app secret, that names the lead (leadgen_id) but does not carry its answers; those are
 * read from the Graph API (`GET /<version>/<leadgen_id>`).
 */

/** The `hub.challenge` to echo when Meta's GET is a subscription with our verify token, or null. */
export function metaHandshake(
  query: Readonly<Record<string, unknown>>,
  verifyToken: string,
): string | null {
  const mode = query['hub.mode'];
  const token = query['hub.verify_token'];
  const challenge = query['hub.challenge'];
  if (mode !== 'subscribe' || typeof token !== 'string' || typeof challenge !== 'string')
    return null;
  return secretsEqual(token, verifyToken) ? challenge : null;
}

/**
 * Whether `X-Hub-Signature-256` (`sha256=<hex>`) is the HMAC-SHA256 of the raw body with the app
 * secret. The body must be the bytes as received: Meta escapes some characters (`/`, non-ASCII
 * as \uXXXX), so a re-serialized JSON would not match.
 */
export function metaSignatureValid(rawBody: Buffer, header: unknown, appSecret: string): boolean {
  if (typeof header !== 'string' || !header.startsWith('sha256=')) return false;
  return hmacMatches(appSecret, rawBody, header.slice('sha256='.length));
}

export interface ReferenceContext {
  source: string;
  now: number;
}

const META_ID_ATTRIBUTES = ['page_id', 'form_id', 'ad_id', 'adgroup_id', 'created_time'] as const;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function idString(value: unknown): string | null {
  if (typeof value === 'string' && value !== '') return value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * The leads a `page` notification announces, one per `leadgen` change (other fields of the
 * Page's subscription are ignored). An error when the body is not a Page notification at all.
 */
export function metaLeadReferences(
  body: unknown,
  ctx: ReferenceContext,
): Result<SourceLeadReference[], string> {
  if (!isObject(body) || !Array.isArray(body['entry'])) {
    return err('expected a Meta webhook notification: {"object": "page", "entry": [...]}');
  }
  const references: SourceLeadReference[] = [];
  for (const entry of body['entry'] as unknown[]) {
    if (!isObject(entry) || !Array.isArray(entry['changes'])) continue;
    for (const change of entry['changes'] as unknown[]) {
      if (!isObject(change) || change['field'] !== 'leadgen' || !isObject(change['value']))
        continue;
      const value = change['value'];
      const leadgenId = idString(value['leadgen_id']);
      if (leadgenId === null) continue;
      const attributes: Record<string, string> = { leadgen_id: leadgenId };
      for (const name of META_ID_ATTRIBUTES) {
        const v = idString(value[name]);
        if (v !== null) attributes[name] = v;
      }
      references.push({
        platform: 'meta',
        source: ctx.source,
        platform_lead_id: leadgenId,
        received_at: ctx.now,
        attributes,
      });
    }
  }
  return ok(references);
}

/** The Graph API's answer for one lead (`fields` beyond these are kept as attributes too). */
export interface MetaGraphLead {
  id: string;
  created_time?: string;
  field_data?: { name: string; values?: unknown[] }[];
  ad_id?: string;
  adset_id?: string;
  campaign_id?: string;
  form_id?: string;
  is_organic?: boolean;
  platform?: string;
}

const GRAPH_ATTRIBUTES = [
  'ad_id',
  'adset_id',
  'campaign_id',
  'form_id',
  'platform',
  'created_time',
] as const;

/**
 * The lead input (for captureLead) of a lead read from the Graph API: its answers mapped by
 * `mapping`, what the notification said, and the Graph's ids. The leadgen id is the lead's own
 * id, so a notification Meta sends twice makes one lead.
 */
export function metaLeadInput(
  lead: MetaGraphLead,
  reference: SourceLeadReference,
  mapping: FieldMapping,
): Record<string, unknown> {
  const answers = (lead.field_data ?? []).map((field) => ({
    key: field.name,
    value: (field.values ?? []).map(String).join(', '),
  }));
  const attributes: Record<string, string> = { ...reference.attributes };
  for (const name of GRAPH_ATTRIBUTES) {
    const v = lead[name];
    if (typeof v === 'string' && v !== '') attributes[name] = v;
  }
  if (typeof lead.is_organic === 'boolean') attributes['is_organic'] = String(lead.is_organic);
  return {
    ...attributes,
    ...mapAnswers(answers, mapping),
    source_lead_id: reference.platform_lead_id,
  };
}

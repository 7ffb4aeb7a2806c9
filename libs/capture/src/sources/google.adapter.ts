import { err, ok, type Result } from '@lead-router/errors';
import { type FieldMapping, mapAnswers } from './field.mapping';
import { secretsEqual } from './signature.verifier';

/**
 * Google Ads lead form webhooks ("Webhook integration for lead form extensions"): one JSON POST
 * per lead that carries every answer, and the `google_key` the advertiser entered in the form's
 * webhook settings in place of a signature.
 */

/** Whether the payload's `google_key` is the configured key, compared in constant time. */
export function googleKeyValid(body: unknown, googleKey: string): boolean {
  if (typeof body !== 'object' || body === null) return false;
  const presented = (body as Record<string, unknown>)['google_key'];
  return typeof presented === 'string' && secretsEqual(presented, googleKey);
}

/** The ids Google sends beside the answers, kept on the lead as attributes of the same name. */
const GOOGLE_ATTRIBUTES = [
  'lead_id',
  'gcl_id',
  'campaign_id',
  'adgroup_id',
  'creative_id',
  'asset_group_id',
  'form_id',
  'api_version',
  'lead_stage',
] as const;

function scalar(value: unknown): string | null {
  if (typeof value === 'string') return value === '' ? null : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return null;
}

/**
 * The lead input (for captureLead) of a Google lead form webhook: `user_column_data` mapped by
 * column_id (or column_name when a custom question has no id), the ids kept as attributes,
 * `is_test` as the attribute `is_test` ("true"/"false") that rules can test, and
 * `lead_submit_time` as `submitted_at`, which the normalizer reads.
 */
export function googleLeadInput(
  body: unknown,
  mapping: FieldMapping,
): Result<Record<string, unknown>, string> {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) {
    return err('expected a Google Ads lead form webhook: a JSON object');
  }
  const payload = body as Record<string, unknown>;
  const leadId = scalar(payload['lead_id']);
  if (leadId === null) return err('lead_id: expected the lead id Google sends with every lead');
  const columns = Array.isArray(payload['user_column_data']) ? payload['user_column_data'] : [];
  const answers = columns.flatMap((column: unknown) => {
    if (typeof column !== 'object' || column === null) return [];
    const c = column as Record<string, unknown>;
    const key = scalar(c['column_id']) ?? scalar(c['column_name']);
    const value = scalar(c['string_value']);
    return key === null || value === null ? [] : [{ key, value }];
  });
  const attributes: Record<string, string> = {};
  for (const name of GOOGLE_ATTRIBUTES) {
    const v = scalar(payload[name]);
    if (v !== null) attributes[name] = v;
  }
  attributes['is_test'] = String(payload['is_test'] === true);
  const submitted = scalar(payload['lead_submit_time']);
  if (submitted !== null) attributes['submitted_at'] = submitted;
  return ok({ ...attributes, ...mapAnswers(answers, mapping), source_lead_id: leadId });
}

import { leadIdFor } from '@lead-router/capture';
import { ATTRIBUTE_FIELDS, AttributesReader } from '@lead-router/normalize/email';

/** Whom a pipeline record is about, as far as the record tells. */
export interface Person {
  leadId: string | null;
  /** The email as the record holds it (raw or normalized); null when it holds none. */
  email: string | null;
  /** When the lead was received (epoch ms), when the record carries it. */
  receivedAtMs: number | null;
}

type Fields = Record<string, unknown>;

const isObject = (v: unknown): v is Fields => typeof v === 'object' && v !== null;
const str = (v: unknown): string | null => (typeof v === 'string' ? v : null);
const num = (v: unknown): number | null => (typeof v === 'number' ? v : null);

/**
 * A RawLead or NormalizedLead: the email where the normalizer takes it from (the field, else a
 * submitted attribute such as `Email Address`), so a raw lead is recognised as its normalized
 * form will be.
 */
function leadPerson(lead: Fields): Person {
  let email = str(lead['email']);
  if (email === null && isObject(lead['attributes'])) {
    email = new AttributesReader(lead['attributes'] as Record<string, string>).first(
      ATTRIBUTE_FIELDS.email,
    );
  }
  return { leadId: str(lead['lead_id']), email, receivedAtMs: num(lead['received_at']) };
}

/**
 * The person a decoded pipeline record is about, for every value a stage reads: RawLead and
 * NormalizedLead (themselves), EnrichedLead and RoutedLead (`lead`), QueueAssignment
 * (`enriched.lead`), ContactCheck (`enriched.lead`, else `routed.lead_id`), DeliveryOutcome,
 * DeliveryAttempt and DeadLetter (`lead_id`, and `received_at` where there is one), and
 * SourceLeadReference (the id its fetched lead will get: `leadIdFor(source, platform_lead_id)`,
 * as the ad-platform adapters make the platform's id the lead's source_lead_id). Null for a
 * value that names no lead, or no record at all, and for an ErasureRequest: a request is about
 * the person, and the stages that carry it out must never skip it.
 */
export function personOf(value: unknown): Person | null {
  if (!isObject(value) || 'subject_key' in value) return null;
  if (isObject(value['lead'])) return leadPerson(value['lead']);
  if ('enriched' in value || 'contact_key' in value) {
    const enriched = value['enriched'];
    if (isObject(enriched) && isObject(enriched['lead'])) return leadPerson(enriched['lead']);
    const routed = value['routed'];
    if (isObject(routed) && typeof routed['lead_id'] === 'string') {
      return { leadId: routed['lead_id'], email: null, receivedAtMs: null };
    }
    return null;
  }
  if (typeof value['platform_lead_id'] === 'string' && typeof value['source'] === 'string') {
    let leadId: string | null;
    try {
      leadId = leadIdFor(value['source'], value['platform_lead_id']);
    } catch {
      leadId = null; // Not well-formed Unicode: no lead can be captured with that id either.
    }
    return leadId === null
      ? null
      : { leadId, email: null, receivedAtMs: num(value['received_at']) };
  }
  if (typeof value['lead_id'] === 'string') {
    if ('email' in value || 'attributes' in value) return leadPerson(value);
    return { leadId: value['lead_id'], email: null, receivedAtMs: num(value['received_at']) };
  }
  return null;
}

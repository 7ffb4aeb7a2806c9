import { createHash } from 'node:crypto';
import type { ContactSeen, EnrichedLead, NormalizedLead, RoutedLead } from '@lead-router/schemas';

const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/**
 * The keys a lead's contacts are compared by, email first: `email:<SHA-256>` of the email, whole
 * and lower-cased (mailbox providers ignore case), and `phone:<SHA-256>` of the E.164 number
 * (extensions aside). Hashed, so no record key carries a contact.
 */
export function contactKeysOf(lead: NormalizedLead): string[] {
  const keys: string[] = [];
  if (lead.email !== null) keys.push(`email:${sha256(lead.email.toLowerCase())}`);
  if (lead.phone !== null) keys.push(`phone:${sha256(lead.phone)}`);
  return keys;
}

/** `email` or `phone`: the kind of contact a key is for. */
export function contactKindOf(key: string): string {
  return key.slice(0, key.indexOf(':'));
}

/** The owner a routed lead went to: the member chosen in its queue, else the rule's fixed owner. */
export function routedOwnerOf(routed: RoutedLead): string | null {
  return routed.decision.distribution?.chosen_member ?? routed.decision.owner_id ?? null;
}

export interface ContactDecision {
  /** The first lead this one duplicates, when it is one (and was not found one by an earlier key). */
  first: ContactSeen | null;
  /** What the contact's entry becomes, when it changes. */
  record: ContactSeen | null;
}

/**
 * One contact of a lead against the first lead seen with it. Within `windowMs` of that lead's
 * capture the lead is its duplicate; a lead checked again (a replay) finds itself and is not.
 * With no entry, or one older than the window, this lead becomes the contact's first. A lead
 * already found a duplicate by its email still becomes the first of a phone nobody had.
 */
export function checkContact(
  seen: ContactSeen | undefined,
  key: string,
  lead: EnrichedLead,
  windowMs: number,
): ContactDecision {
  const leadId = lead.lead.lead_id;
  const at = lead.lead.received_at;
  if (seen !== undefined && seen.lead_id === leadId) return { first: null, record: null };
  if (seen !== undefined && at - seen.seen_at <= windowMs) {
    return { first: lead.enrichment.duplicate_of === null ? seen : null, record: null };
  }
  // The normalized email's SHA-256 is what an erasure request names the email by (emailDigest).
  const email = lead.lead.email;
  return {
    first: null,
    record: {
      contact_key: key,
      lead_id: leadId,
      seen_at: at,
      owner: null,
      email_sha256: email === null ? null : sha256(email),
    },
  };
}

import { LeadRouterError } from '@lead-router/errors';
import type { ErasureRequest } from '@lead-router/schemas';
import { emailDigest } from './email.digest';

/** The subject key of a lead: `lead:<lead id>`, the erasure request's Kafka key. */
export function leadSubject(leadId: string): string {
  return `lead:${leadId}`;
}

/** The subject key of an email, by its digest: `email:<sha256>`. */
export function emailSubject(digest: string): string {
  return `email:${digest}`;
}

/** A request to forget that names no person, or names one badly; `code` says which. */
export class InvalidErasureRequestError extends LeadRouterError {
  constructor(
    message: string,
    code: 'no_subject' | 'two_subjects' | 'invalid_email' | 'invalid_lead_id',
  ) {
    super(message, code);
  }
}

export interface ErasureRequestInput {
  /** The person's email, as they gave it; only its digest goes on the request. */
  email?: string | null;
  leadId?: string | null;
  reason?: string | null;
  requestedBy?: string | null;
  /** When the request is made (epoch ms): an email request covers leads received up to then. */
  now: number;
}

/**
 * The erasure request for exactly one of an email or a lead id. The email is normalized as the
 * normalizer does and only its SHA-256 is kept. Throws InvalidErasureRequestError for neither,
 * both, an address the normalizer would not keep, or a blank lead id.
 */
export function erasureRequestFor(input: ErasureRequestInput): ErasureRequest {
  const email = input.email ?? null;
  const leadId = input.leadId ?? null;
  if (email === null && leadId === null) {
    throw new InvalidErasureRequestError('name the person: an email or a lead id', 'no_subject');
  }
  if (email !== null && leadId !== null) {
    throw new InvalidErasureRequestError(
      'name the person once: an email or a lead id, not both',
      'two_subjects',
    );
  }
  const common = {
    requested_at: input.now,
    requested_by: input.requestedBy ?? null,
    reason: input.reason ?? null,
  };
  if (leadId !== null) {
    const id = leadId.trim();
    if (id === '' || /\s/.test(id)) {
      throw new InvalidErasureRequestError(
        'the lead id is blank or holds spaces',
        'invalid_lead_id',
      );
    }
    return { subject_key: leadSubject(id), lead_id: id, email_sha256: null, ...common };
  }
  const digest = emailDigest(email);
  if (digest === null) {
    throw new InvalidErasureRequestError(
      'not an email address the normalizer would keep (check its domain and spelling)',
      'invalid_email',
    );
  }
  return { subject_key: emailSubject(digest), lead_id: null, email_sha256: digest, ...common };
}

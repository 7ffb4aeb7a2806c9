import { v4 as uuidv4, v5 as uuidv5 } from 'uuid';

/**
 * The namespace of every derived lead id: UUIDv5 of the URL `https://lead-router.dev/ns/lead-id`
 * in the RFC 4122 URL namespace. It must never change, or a resubmitted lead would get a new id.
 */
export const LEAD_ID_NAMESPACE = 'f4ce1aad-da8a-5e0e-a735-f09832dec04e';

/** The lead id for a lead its source identifies by `key`: the same inputs always give the same id. */
export function leadIdFor(source: string, key: string): string {
  // NUL cannot occur in a source name, so `a` + `b:c` and `a:b` + `c` never collide.
  return uuidv5(`${source}\u0000${key}`, LEAD_ID_NAMESPACE);
}

/** A lead id for a lead with no key of its own: random, so a resubmission is a new lead. */
export function randomLeadId(): string {
  return uuidv4();
}

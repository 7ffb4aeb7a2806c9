import { v4 as uuidv4, v5 as uuidv5 } from 'uuid';

/**
 * The namespace of every derived lead id: UUIDv5 of the URL `https://lead-router.dev/ns/lead-id`
 * in the RFC 4122 URL namespace. It must never change, or a resubmitted lead would get a new id.
 */
export const LEAD_ID_NAMESPACE = 'f4ce1aad-da8a-5e0e-a735-f09832dec04e';

/** A UTF-16 code unit of a surrogate pair standing alone: valid in a JSON string, not in UTF-8. */
export const LONE_SURROGATE = /\p{Cs}/u;

const utf8 = new TextEncoder();

/**
 * The lead id for a lead its source identifies by `key`: the same inputs always give the same id.
 *
 * The key must be well-formed Unicode (captureLead refuses a source_lead_id that is not). A lone
 * surrogate has no UTF-8 form: uuid's own encoder threw `URIError`, and replacing it with U+FFFD
 * (`toWellFormed`, TextEncoder) would give `a\ud800` and `a\udc00` one id, so the second lead
 * would be taken for a resubmission of the first and dropped.
 */
export function leadIdFor(source: string, key: string): string {
  if (LONE_SURROGATE.test(key) || LONE_SURROGATE.test(source)) {
    throw new TypeError('a lead key must be well-formed Unicode; it holds a lone UTF-16 surrogate');
  }
  // NUL cannot occur in a source name, so `a` + `b:c` and `a:b` + `c` never collide. The UTF-8
  // bytes of a well-formed string are the ones uuid hashed before, so every id stays the same.
  return uuidv5(utf8.encode(`${source}\u0000${key}`), LEAD_ID_NAMESPACE);
}

/** A lead id for a lead with no key of its own: random, so a resubmission is a new lead. */
export function randomLeadId(): string {
  return uuidv4();
}

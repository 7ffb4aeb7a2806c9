import { hash } from 'node:crypto';
import { v4 as uuidv4 } from 'uuid';

/**
 * The namespace of every derived lead id: UUIDv5 of the URL `https://lead-router.dev/ns/lead-id`
 * in the RFC 4122 URL namespace. It must never change, or a resubmitted lead would get a new id.
 */
export const LEAD_ID_NAMESPACE = 'f4ce1aad-da8a-5e0e-a735-f09832dec04e';

/** A UTF-16 code unit of a surrogate pair standing alone: valid in a JSON string, not in UTF-8. */
export const LONE_SURROGATE = /\p{Cs}/u;

/**
 * The namespace's 16 bytes, followed by room for the name: the SHA-1 input is written here, so a
 * lead id costs no allocation but the hash (crypto.hash, one call, is the cheapest SHA-1 in node).
 */
const scratch = Buffer.alloc(16 + 4096);
Buffer.from(LEAD_ID_NAMESPACE.replaceAll('-', ''), 'hex').copy(scratch);

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
  // RFC 9562 §5.5 by hand (uuid's v5 parses the namespace and copies the name on every call,
  // once per lead on ingest's request path): SHA-1 of namespace and name, version and variant set.
  const name = `${source}\u0000${key}`;
  const input =
    Buffer.byteLength(name, 'utf8') <= scratch.length - 16
      ? scratch.subarray(0, 16 + scratch.write(name, 16, 'utf8'))
      : Buffer.concat([scratch.subarray(0, 16), Buffer.from(name, 'utf8')]);
  const sha1 = hash('sha1', input, 'buffer');
  sha1[6] = (sha1[6]! & 0x0f) | 0x50;
  sha1[8] = (sha1[8]! & 0x3f) | 0x80;
  const hex = sha1.toString('hex', 0, 16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-${hex.slice(12, 16)}-${hex.slice(16, 20)}-${hex.slice(20)}`;
}

/** A lead id for a lead with no key of its own: random, so a resubmission is a new lead. */
export function randomLeadId(): string {
  return uuidv4();
}

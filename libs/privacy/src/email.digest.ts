import { createHash } from 'node:crypto';
import { normalizeEmail } from '@lead-router/normalize/email';

/**
 * The hex SHA-256 of an email as the normalizer writes it (trimmed, the domain lower-cased and in
 * punycode, the local part as typed), so an address as submitted on a raw lead and as it reads on
 * the normalized lead give one digest. Null when the text is no email the normalizer would keep.
 * The digest is what the erasures topic, logs and stores hold: never the address itself.
 */
export function emailDigest(email: string | null | undefined): string | null {
  const normalized = normalizeEmail(email ?? null).value;
  return normalized === null ? null : createHash('sha256').update(normalized, 'utf8').digest('hex');
}

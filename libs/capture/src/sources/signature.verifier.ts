import { createHash, createHmac, hash, timingSafeEqual } from 'node:crypto';

/** HMAC-SHA256 of `message` keyed with `secret`, hex-encoded (lower case). */
export function hmacSha256Hex(secret: string, message: string | Buffer): string {
  return createHmac('sha256', secret).update(message).digest('hex');
}

/** SHA-256 of a text, hex-encoded: how API keys are kept in configuration. */
export function sha256Hex(text: string): string {
  return hash('sha256', text, 'hex');
}

/**
 * Whether two secrets are equal, in time that depends on neither: both are hashed first, so the
 * comparison runs over 32 bytes whatever their lengths (timingSafeEqual needs equal lengths).
 */
export function secretsEqual(presented: string, expected: string): boolean {
  const a = createHash('sha256').update(presented, 'utf8').digest();
  const b = createHash('sha256').update(expected, 'utf8').digest();
  return timingSafeEqual(a, b);
}

/** Whether `presentedHex` is the HMAC-SHA256 of `body` with `secret`, compared in constant time. */
export function hmacMatches(secret: string, body: Buffer, presentedHex: string): boolean {
  if (!/^[0-9a-fA-F]{64}$/.test(presentedHex)) return false;
  const expected = createHmac('sha256', secret).update(body).digest();
  return timingSafeEqual(expected, Buffer.from(presentedHex, 'hex'));
}

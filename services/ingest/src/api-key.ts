import { sha256Hex } from '@lead-router/capture';
import type { FastifyRequest } from 'fastify';

/** The key a request presents: `Authorization: Bearer <key>`, else `X-Api-Key`. */
export function presentedKey(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.toLowerCase().startsWith('bearer ')) {
    const key = auth.slice(7).trim();
    return key === '' ? undefined : key;
  }
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header !== '' ? header : undefined;
}

const hashes = new WeakMap<object, string | null>();

/**
 * The SHA-256 (hex) of the presented key, computed once per request: the rate limit counts by
 * it and the guard looks it up, so each would otherwise hash the key again. Kept by the request's
 * headers object, which lives as long as the request.
 */
export function presentedKeyHash(request: Pick<FastifyRequest, 'headers'>): string | undefined {
  let hash = hashes.get(request.headers);
  if (hash === undefined) {
    const key = presentedKey(request);
    hash = key === undefined ? null : sha256Hex(key);
    hashes.set(request.headers, hash);
  }
  return hash ?? undefined;
}

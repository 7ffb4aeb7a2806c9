/**
 * What to do with a platform API's answer to a lead fetch. Rate limits and server trouble pass
 * (retry); a lead the platform does not have, or a token it refuses, will not be fetched by
 * trying again (dead: the DLQ keeps the reference for a replay once the token is fixed).
 */
export type FetchVerdict =
  | { kind: 'ok' }
  | { kind: 'retry'; code: string; reason: string; retryAfterMs: number | null }
  | { kind: 'dead'; code: string; reason: string };

/**
 * Meta's Graph API error codes that mean a rate limit (application, user, Page, custom and
 * business-use-case limits); Meta answers them with HTTP 400 or 403, not 429.
 */
const META_THROTTLE_CODES = new Set([
  4, 17, 32, 613, 80000, 80001, 80002, 80003, 80004, 80005, 80006, 80008, 80009, 80014,
]);

function errorOf(body: unknown): { code?: unknown; message?: unknown } {
  if (typeof body !== 'object' || body === null) return {};
  const e = (body as Record<string, unknown>)['error'];
  return typeof e === 'object' && e !== null ? (e as { code?: unknown; message?: unknown }) : {};
}

/** Seconds of a Retry-After header as milliseconds, or null when absent or not a number. */
export function retryAfterMs(header: string | null | undefined): number | null {
  if (header === null || header === undefined || !/^\d+$/.test(header.trim())) return null;
  return Number(header.trim()) * 1000;
}

/** The verdict on a fetch's HTTP answer (status, parsed JSON body or null, Retry-After). */
export function fetchVerdict(
  platform: 'meta' | 'linkedin',
  status: number,
  body: unknown,
  retryAfter: string | null,
): FetchVerdict {
  if (status >= 200 && status < 300) return { kind: 'ok' };
  const error = errorOf(body);
  const detail = typeof error.message === 'string' ? `: ${error.message}` : '';
  if (status === 429) {
    return {
      kind: 'retry',
      code: 'rate_limited',
      reason: `HTTP 429${detail}`,
      retryAfterMs: retryAfterMs(retryAfter),
    };
  }
  if (
    platform === 'meta' &&
    typeof error.code === 'number' &&
    META_THROTTLE_CODES.has(error.code)
  ) {
    return {
      kind: 'retry',
      code: 'rate_limited',
      reason: `HTTP ${status}, Graph error ${error.code}${detail}`,
      retryAfterMs: null,
    };
  }
  if (status >= 500 || status === 408) {
    return {
      kind: 'retry',
      code: 'platform_unavailable',
      reason: `HTTP ${status}${detail}`,
      retryAfterMs: retryAfterMs(retryAfter),
    };
  }
  if (status === 401 || status === 403 || (platform === 'meta' && error.code === 190)) {
    return {
      kind: 'dead',
      code: 'token_refused',
      reason: `HTTP ${status}${detail}; check the source's access token`,
    };
  }
  return { kind: 'dead', code: 'lead_not_fetched', reason: `HTTP ${status}${detail}` };
}

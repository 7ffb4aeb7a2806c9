import rateLimit from '@fastify/rate-limit';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import { ApiError } from './api-error';
import { presentedKeyHash } from './api-key';
import type { IngestConfig } from './ingest.config';

const SOURCE_PATH = /^\/v1\/sources\/([^/?]+)/;

/**
 * Whose budget a request spends: an ad-platform source's (by the source in its URL), an API
 * key's (by the key's hash, so keys are never held in the limiter's memory), or, for a request
 * with neither, its IP address.
 */
export function rateLimitKey(request: Pick<FastifyRequest, 'url' | 'headers' | 'ip'>): string {
  const source = SOURCE_PATH.exec(request.url)?.[1];
  if (source !== undefined) return `source:${decodeURIComponent(source)}`;
  const hash = presentedKeyHash(request);
  return hash !== undefined ? `key:${hash}` : `ip:${request.ip}`;
}

/**
 * The source a request counts for in the metrics: the one the guard or the webhook controller
 * set, else (a request refused before them, by the rate limit) the configured source its URL
 * names or its API key belongs to; `unknown` for anything else, so a caller cannot invent labels.
 */
export function requestSource(
  request: Pick<FastifyRequest, 'url' | 'headers' | 'ip'> & { leadSource?: string },
  config: Pick<IngestConfig, 'apiKeys' | 'adSources'>,
): string {
  if (request.leadSource !== undefined) return request.leadSource;
  const key = rateLimitKey(request);
  if (key.startsWith('source:') && config.adSources.has(key.slice(7))) return key.slice(7);
  if (key.startsWith('key:')) return config.apiKeys.get(key.slice(4)) ?? 'unknown';
  return 'unknown';
}

/**
 * Per-key request limits on the lead routes (@fastify/rate-limit, counted in this instance's
 * memory): over the limit a caller gets 429 with Retry-After before its body is read. An
 * ad-platform source may set its own limit in the sources file; /health and /metrics are free.
 */
export async function registerRateLimits(
  fastify: FastifyInstance,
  config: Pick<IngestConfig, 'rateLimit' | 'adSources'>,
): Promise<void> {
  const own = (key: string) =>
    key.startsWith('source:') ? config.adSources.get(key.slice(7))?.rate_limit : undefined;
  await fastify.register(rateLimit, {
    global: true,
    hook: 'onRequest',
    keyGenerator: rateLimitKey,
    allowList: (request) => !request.url.startsWith('/v1/'),
    max: (_request, key) => own(key)?.max ?? config.rateLimit.max,
    timeWindow: (_request, key) =>
      (own(key)?.window_seconds ?? config.rateLimit.windowSeconds) * 1000,
    errorResponseBuilder: (_request, context) =>
      new ApiError(
        429,
        'rate_limited',
        `over ${context.max} requests in the window; retry in ${context.after}`,
      ),
  });
}

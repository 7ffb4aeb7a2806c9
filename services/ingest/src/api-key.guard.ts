import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './api-error';
import { presentedKeyHash } from './api-key';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';

export type AuthenticatedRequest = FastifyRequest & { leadSource?: string };

/**
 * Each API key belongs to one source; only its SHA-256 is configured (INGEST_API_KEYS). The caller may name the source (`X-Lead-Source` header or
 * `?source=`); a key used for another source is refused with 403, a missing or unknown key 401.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  private readonly keys: readonly (readonly [Buffer, string])[];

  constructor(@Inject(INGEST_CONFIG) config: IngestConfig) {
    this.keys = [...config.apiKeys].map(([hash, source]) => [Buffer.from(hash, 'hex'), source]);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const hash = presentedKeyHash(request);
    if (hash === undefined) {
      throw new ApiError(
        401,
        'missing_api_key',
        'send your API key as "Authorization: Bearer <key>" or "X-Api-Key"',
      );
    }
    const source = sourceOfKey(this.keys, hash);
    if (!source) throw new ApiError(401, 'unknown_api_key', 'the API key is not known');
    const requested = requestedSource(request);
    if (requested !== undefined && requested !== source) {
      throw new ApiError(
        403,
        'wrong_source',
        `this API key may submit leads for source "${source}" only`,
      );
    }
    request.leadSource = source;
    return true;
  }
}

/**
 * The source of the key whose SHA-256 matches the presented key's, comparing with every
 * configured hash in constant time, so the answer's timing says nothing about near misses.
 */
function sourceOfKey(
  keys: readonly (readonly [Buffer, string])[],
  presentedHash: string,
): string | undefined {
  const presented = Buffer.from(presentedHash, 'hex');
  let found: string | undefined;
  for (const [hash, source] of keys) {
    if (timingSafeEqual(presented, hash) && found === undefined) found = source;
  }
  return found;
}

function requestedSource(request: FastifyRequest): string | undefined {
  const header = request.headers['x-lead-source'];
  if (typeof header === 'string' && header !== '') return header;
  const query = (request.query as Record<string, unknown> | undefined)?.['source'];
  return typeof query === 'string' && query !== '' ? query : undefined;
}

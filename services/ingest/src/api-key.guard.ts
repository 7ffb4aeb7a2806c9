import { timingSafeEqual } from 'node:crypto';
import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { sha256Hex } from '@lead-router/capture';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './api-error';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';

export type AuthenticatedRequest = FastifyRequest & { leadSource?: string };

/**
 * Each API key belongs to one source; only its SHA-256 is configured (INGEST_API_KEYS). The caller may name the source (`X-Lead-Source` header or
 * `?source=`); a key used for another source is refused with 403, a missing or unknown key 401.
 */
@Injectable()
export class ApiKeyGuard implements CanActivate {
  constructor(@Inject(INGEST_CONFIG) private readonly config: IngestConfig) {}

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<AuthenticatedRequest>();
    const key = presentedKey(request);
    if (!key) {
      throw new ApiError(
        401,
        'missing_api_key',
        'send your API key as "Authorization: Bearer <key>" or "X-Api-Key"',
      );
    }
    const source = sourceOfKey(this.config.apiKeys, key);
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
function sourceOfKey(hashes: ReadonlyMap<string, string>, key: string): string | undefined {
  const presented = Buffer.from(sha256Hex(key), 'hex');
  let found: string | undefined;
  for (const [hash, source] of hashes) {
    if (timingSafeEqual(presented, Buffer.from(hash, 'hex')) && found === undefined) found = source;
  }
  return found;
}

function presentedKey(request: FastifyRequest): string | undefined {
  const auth = request.headers.authorization;
  if (typeof auth === 'string' && auth.toLowerCase().startsWith('bearer '))
    return auth.slice(7).trim();
  const header = request.headers['x-api-key'];
  return typeof header === 'string' && header !== '' ? header : undefined;
}

function requestedSource(request: FastifyRequest): string | undefined {
  const header = request.headers['x-lead-source'];
  if (typeof header === 'string' && header !== '') return header;
  const query = (request.query as Record<string, unknown> | undefined)?.['source'];
  return typeof query === 'string' && query !== '' ? query : undefined;
}

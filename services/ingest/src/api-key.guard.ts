import { type CanActivate, type ExecutionContext, Inject, Injectable } from '@nestjs/common';
import type { FastifyRequest } from 'fastify';
import { ApiError } from './api-error';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';

export type AuthenticatedRequest = FastifyRequest & { leadSource?: string };

/**
 * Each API key belongs to one source. The caller may name the source (`X-Lead-Source` header or
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
    const source = this.config.apiKeys.get(key);
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

import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Logger } from '@lead-router/observability';
import type { FastifyReply } from 'fastify';
import { ApiError, type ApiErrorBody } from './api-error';

/**
 * Nest turns Fastify's own errors (content type, body limit, bad JSON) into HttpExceptions with
 * Fastify's status; these give each a code to branch on and a reason the caller can act on.
 */
const reasons: Record<number, { code: string; message: string }> = {
  404: { code: 'not_found', message: 'no such endpoint; leads go to POST /v1/leads' },
  413: { code: 'body_too_large', message: 'the request body is over the limit' },
  415: {
    code: 'unsupported_media_type',
    message: 'send application/json or application/x-www-form-urlencoded',
  },
};

export function errorResponse(err: unknown): {
  status: number;
  body: ApiErrorBody;
  headers: Record<string, string>;
} {
  if (err instanceof ApiError) return { status: err.status, body: err.body, headers: err.headers };
  if (err instanceof HttpException && err.getStatus() < 500) {
    const status = err.getStatus();
    const known =
      reasons[status] ??
      (/json/i.test(err.message)
        ? { code: 'invalid_json', message: 'the body is not valid JSON' }
        : { code: `http_${status}`, message: err.message });
    return { status, body: { error: known }, headers: {} };
  }
  return {
    status: 500,
    body: { error: { code: 'internal', message: 'internal error; the lead was not accepted' } },
    headers: {},
  };
}

@Catch()
export class HttpExceptionFilter implements ExceptionFilter {
  constructor(private readonly logger: Logger) {}

  catch(exception: unknown, host: ArgumentsHost): void {
    const reply = host.switchToHttp().getResponse<FastifyReply>();
    const { status, body, headers } = errorResponse(exception);
    if (status >= 500) this.logger.error({ err: exception }, 'request failed');
    void reply.status(status).headers(headers).send(body);
  }
}

import { type ArgumentsHost, Catch, type ExceptionFilter, HttpException } from '@nestjs/common';
import type { Logger } from '@lead-router/observability';
import type { FastifyReply } from 'fastify';
import { ApiError, type ApiErrorBody } from './api-error';

/** Fastify's own errors (body parsing, limits) as our error body, with a reason a caller can use. */
const fastifyReasons: Record<string, { code: string; message: string }> = {
  FST_ERR_CTP_INVALID_MEDIA_TYPE: {
    code: 'unsupported_media_type',
    message: 'send application/json or application/x-www-form-urlencoded',
  },
  FST_ERR_CTP_BODY_TOO_LARGE: {
    code: 'body_too_large',
    message: 'the request body is over the limit',
  },
  FST_ERR_CTP_INVALID_JSON_BODY: { code: 'invalid_json', message: 'the body is not valid JSON' },
  FST_ERR_CTP_EMPTY_JSON_BODY: { code: 'invalid_json', message: 'the JSON body is empty' },
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: {
    code: 'invalid_content_length',
    message: 'Content-Length does not match the body',
  },
};

export function errorResponse(err: unknown): {
  status: number;
  body: ApiErrorBody;
  headers: Record<string, string>;
} {
  if (err instanceof ApiError) {
    return {
      status: err.getStatus(),
      body: err.getResponse() as ApiErrorBody,
      headers: err.headers,
    };
  }
  if (err instanceof HttpException) {
    return {
      status: err.getStatus(),
      body: { error: { code: `http_${err.getStatus()}`, message: err.message } },
      headers: {},
    };
  }
  const fastify = err as { statusCode?: number; code?: string; message?: string };
  if (
    typeof fastify.statusCode === 'number' &&
    fastify.statusCode >= 400 &&
    fastify.statusCode < 500
  ) {
    const known = fastify.code ? fastifyReasons[fastify.code] : undefined;
    return {
      status: fastify.statusCode,
      body: { error: known ?? { code: 'bad_request', message: fastify.message ?? 'bad request' } },
      headers: {},
    };
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

import {
  activeTracer,
  httpTraceHeaders,
  SPAN_ATTRIBUTES,
  type LeadSpan,
  type TraceHeaders,
} from '@lead-router/observability';
import type { FastifyInstance, FastifyRequest } from 'fastify';

/** Each request's server span, by its Node request (the same object in hooks and controllers). */
const spans = new WeakMap<object, LeadSpan>();

/**
 * One server span per request to ingest's API (`/v1/…`) while tracing is on, the child of the request's own
 * `traceparent` when it sent a valid one (a malformed one is ignored: the lead's trace starts
 * here), ended with the response's status.
 */
export function registerRequestTracing(fastify: FastifyInstance): void {
  const tracer = activeTracer();
  if (tracer === null) return;
  fastify.addHook('onRequest', (request, _reply, done) => {
    const route = request.routeOptions.url ?? 'unmatched';
    // Leads come in under /v1; /health and /metrics, asked every few seconds, start no trace.
    if (!route.startsWith('/v1/')) {
      done();
      return;
    }
    spans.set(
      request.raw,
      tracer.start(`${request.method} ${route}`, {
        role: 'server',
        parent: httpTraceHeaders(request.headers),
        attributes: {
          'http.request.method': request.method,
          'http.route': route,
          [SPAN_ATTRIBUTES.stage]: 'ingest',
        },
      }),
    );
    done();
  });
  fastify.addHook('onResponse', (request, reply, done) => {
    const span = spans.get(request.raw);
    if (span) {
      spans.delete(request.raw);
      span.setAttributes({ 'http.response.status_code': reply.statusCode });
      if (reply.statusCode >= 500) span.fail(String(reply.statusCode));
      span.end();
    }
    done();
  });
}

/** The request's span while tracing is on. */
export function requestSpan(request: Pick<FastifyRequest, 'raw'>): LeadSpan | undefined {
  return spans.get(request.raw);
}

/**
 * The trace headers of the records a request produces: its span's while tracing is on, else the
 * request's own valid `traceparent` (and `tracestate`) passed on, so a later stage that traces
 * continues the caller's trace.
 */
export function requestTraceHeaders(
  request: Pick<FastifyRequest, 'raw' | 'headers'>,
): TraceHeaders {
  return spans.get(request.raw)?.headers ?? httpTraceHeaders(request.headers);
}

/** Names the lead a single-lead request captured on its span (its id only). */
export function traceLead(request: Pick<FastifyRequest, 'raw'>, leadId: string): void {
  spans.get(request.raw)?.setAttributes({ [SPAN_ATTRIBUTES.leadId]: leadId });
}

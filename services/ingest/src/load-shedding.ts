import underPressure from '@fastify/under-pressure';
import type { Counter } from 'prom-client';
import type { FastifyInstance, FastifyRequest } from 'fastify';
import type { LoadGate } from './load-gate';

/** Lead requests: the POSTs under /v1/. /health, /metrics and the GETs are never shed. */
function isLeadRequest(request: Pick<FastifyRequest, 'method' | 'url'>): boolean {
  return request.method === 'POST' && request.url.startsWith('/v1/');
}

/**
 * Sheds load at the door, in an onRequest hook registered before the rate limit, so it runs
 * before the body is read: a lead request the LoadGate refuses is answered 503 with Retry-After
 * at once (sent here, not thrown, so that shedding thousands a second logs nothing) and creates
 * no lead. @fastify/under-pressure only samples event-loop delay, heap and RSS here (given no
 * limits it adds no hook of its own); the gate holds the limits, so every refusal has one shape.
 */
export async function registerLoadShedding(
  fastify: FastifyInstance,
  gate: LoadGate,
  shed: Counter<'reason'>,
): Promise<void> {
  await fastify.register(underPressure, { sampleInterval: gate.limits.sampleIntervalMs });
  fastify.addHook('onRequest', (request, reply, done) => {
    if (!isLeadRequest(request)) return done();
    const refusal = gate.refusal(gate.limits.enabled ? fastify.memoryUsage() : undefined);
    if (refusal !== null) {
      shed.inc({ reason: refusal.reason });
      void reply.status(refusal.status).headers(refusal.headers).send(refusal.body);
      return;
    }
    reply.raw.once('close', gate.admit());
    done();
  });
}

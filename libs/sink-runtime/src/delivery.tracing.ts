import type { LeadVerdict } from '@lead-router/delivery';
import { activeTracer, SPAN_ATTRIBUTES, type LeadSpan } from '@lead-router/observability';
import type { PendingTask } from './sink.deliverer';
import type { CommonDestinationConfig } from './sink.adapter';

/**
 * Sends a batch with one client span per lead in it, each the child of its record's span, so every
 * lead's trace ends with the call to the CRM, webhook or database that carried it (a batch request
 * carries many leads, each in its own trace; `lead_router.batch.size` says how many went
 * together). The records settled for a lead afterwards (its outcome, attempt, retry or dead letter)
 * carry its delivery span's context. Tracing off, `send` runs as it is.
 */
export async function tracedSend<C extends CommonDestinationConfig>(
  sink: string,
  batch: readonly PendingTask<C>[],
  send: () => Promise<LeadVerdict[]>,
): Promise<LeadVerdict[]> {
  const tracer = activeTracer();
  if (tracer === null) return send();
  const spans = new Map<string, LeadSpan>();
  for (const task of batch) {
    const span = tracer.start(`${sink} deliver`, {
      role: 'client',
      parent: task.source.span ?? task.source.traceHeaders,
      attributes: {
        [SPAN_ATTRIBUTES.leadId]: task.lead.lead.lead_id,
        [SPAN_ATTRIBUTES.destination]: task.destination.id,
        [SPAN_ATTRIBUTES.destinationType]: task.destination.type,
        [SPAN_ATTRIBUTES.attempt]: task.attempts,
        [SPAN_ATTRIBUTES.batchSize]: batch.length,
      },
    });
    spans.set(task.lead.lead.lead_id, span);
    task.trace = span.headers;
  }
  let verdicts: LeadVerdict[];
  try {
    verdicts = await send();
  } catch (err) {
    for (const span of spans.values()) {
      span.fail('request_failed', err instanceof Error ? err.name : undefined);
      span.end();
    }
    throw err;
  }
  for (const { leadId, verdict } of verdicts) {
    const span = spans.get(leadId);
    if (!span) continue;
    spans.delete(leadId);
    span.setAttributes({
      [SPAN_ATTRIBUTES.outcome]: verdict.kind,
      ...('httpStatus' in verdict && verdict.httpStatus !== undefined
        ? { 'http.response.status_code': verdict.httpStatus }
        : {}),
    });
    if (verdict.kind !== 'delivered') span.fail(verdict.kind);
    span.end();
  }
  for (const span of spans.values()) {
    span.fail('no_verdict');
    span.end();
  }
  return verdicts;
}

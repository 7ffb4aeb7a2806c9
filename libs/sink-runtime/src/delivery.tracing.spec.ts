import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import type { DeliveryVerdict, LeadVerdict } from '@lead-router/delivery';
import type { RecordContext, StageOutput } from '@lead-router/kafka';
import {
  createLogger,
  LeadTracer,
  NO_TRACE_HEADERS,
  parseTraceparent,
  setActiveTracer,
  traceHeadersOf,
} from '@lead-router/observability';
import type { RoutedLead } from '@lead-router/schemas';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { Registry } from 'prom-client';
import { LimiterDestinationGate } from './destination.gate';
import type { CommonDestinationConfig, DeliveryTask, SinkAdapter } from './sink.adapter';
import { SinkDeliverer } from './sink.deliverer';
import { createSinkMetrics } from './sink.metrics';

const TOPICS = {
  routed: 't.leads.routed',
  delivered: 't.leads.delivered',
  attempts: 't.leads.attempts',
  dlq: 't.leads.dlq',
  tiers: [{ topic: 't.retry.10s', delayMs: 10_000 }],
};
const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const TRACEPARENT = `00-${TRACE_ID}-00f067aa0ba902b7-01`;
const NOW = Date.UTC(2026, 11, 2, 6, 0, 0);

/** A CRM answering every lead with `verdict`. */
class FakeAdapter implements SinkAdapter<CommonDestinationConfig> {
  readonly type = 'crm';
  constructor(private readonly verdict: DeliveryVerdict) {}
  maxBatchSize(): number {
    return 100;
  }
  async send(tasks: readonly DeliveryTask<CommonDestinationConfig>[]): Promise<LeadVerdict[]> {
    return tasks.map((t) => ({ leadId: t.lead.lead.lead_id, verdict: this.verdict }));
  }
}

const lead = (id: string): RoutedLead =>
  routedLeadFixture({
    lead: { lead_id: id },
    destinations: [destinationFixture({ id: 'crm-a', type: 'crm', url: null })],
  });

const record = (value: RoutedLead, headers: Record<string, string>): RecordContext => ({
  topic: TOPICS.routed,
  partition: 0,
  offset: '7',
  key: Buffer.from(value.lead.lead_id),
  value: Buffer.from('original bytes'),
  headers,
  attempts: 1,
  traceHeaders: traceHeadersOf(headers),
});

async function deliver(verdict: DeliveryVerdict, ...leads: [RoutedLead, RecordContext][]) {
  const sut = new SinkDeliverer<CommonDestinationConfig>({
    sink: 'sink-crm',
    adapter: new FakeAdapter(verdict),
    resolveConfig: () => ({ type: 'crm' }),
    gate: new LimiterDestinationGate({ kind: 'memory' }, () => NOW),
    metrics: createSinkMetrics(new Registry()),
    logger: createLogger('spec', 'silent'),
    topics: TOPICS,
    maxInFlight: 1,
    budgetWaitMs: 1_000,
    requestTimeoutMs: 5_000,
    now: () => NOW,
  });
  const tasks = [];
  for (const [value, ctx] of leads) tasks.push(...(await sut.tasksOf(value, ctx)).tasks);
  return sut.deliver(tasks);
}

function tracing() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  setActiveTracer(new LeadTracer(provider.getTracer('spec')));
  return exporter;
}

const headersOn = (outputs: StageOutput[], topic: string) =>
  outputs.filter((o) => o.topic === topic).map((o) => o.headers ?? {});

describe('delivery tracing', () => {
  afterEach(() => setActiveTracer(null));

  it("tracing off: a lead's records carry its record's traceparent unchanged", async () => {
    const l = lead('L1');
    const out = await deliver({ kind: 'delivered', crmId: 'c', created: true }, [
      l,
      record(l, { traceparent: TRACEPARENT, tracestate: 'v=1' }),
    ]);
    for (const topic of [TOPICS.attempts, TOPICS.delivered]) {
      assert.deepEqual(headersOn(out, topic), [{ traceparent: TRACEPARENT, tracestate: 'v=1' }]);
    }
  });

  it('tracing off, no traceparent: the records carry no trace headers', async () => {
    const l = lead('L2');
    const out = await deliver({ kind: 'retry', reason: '503', httpStatus: 503 }, [
      l,
      record(l, {}),
    ]);
    const retried = out.find((o) => o.topic === TOPICS.tiers[0]!.topic)!;
    assert.equal(retried.headers?.['traceparent'], undefined);
    assert.equal(record(l, {}).traceHeaders, NO_TRACE_HEADERS);
  });

  it('one client span per lead of a batch, each in its own trace, its context on the retry record', async () => {
    const exporter = tracing();
    const a = lead('LA');
    const b = lead('LB');
    const otherTrace = `00-${'a'.repeat(32)}-${'b'.repeat(16)}-01`;
    const out = await deliver(
      { kind: 'retry', reason: 'unavailable', httpStatus: 503 },
      [a, record(a, { traceparent: TRACEPARENT })],
      [b, record(b, { traceparent: otherTrace })],
    );
    const spans = exporter.getFinishedSpans();
    assert.deepEqual(
      spans.map((s) => [s.name, s.attributes['lead_router.lead_id'], s.spanContext().traceId]),
      [
        ['sink-crm deliver', 'LA', TRACE_ID],
        ['sink-crm deliver', 'LB', 'a'.repeat(32)],
      ],
    );
    for (const span of spans) {
      assert.equal(span.status.code, 2);
      assert.equal(span.attributes['lead_router.outcome'], 'retry');
      assert.equal(span.attributes['http.response.status_code'], 503);
      assert.equal(span.attributes['lead_router.batch.size'], 2);
    }
    // Each lead's retry record names its own delivery span as the parent of what comes next.
    const retries = out.filter((o) => o.topic === TOPICS.tiers[0]!.topic);
    for (const [i, retry] of retries.entries()) {
      const parent = parseTraceparent(retry.headers?.['traceparent']);
      assert.equal(parent?.parentId, spans[i]!.spanContext().spanId);
      assert.equal(retry.headers?.['lr-destination'], 'crm-a', 'its own headers are kept');
    }
  });

  it('a delivered lead: span without error, its outcome record in the span’s context', async () => {
    const exporter = tracing();
    const l = lead('LD');
    const out = await deliver({ kind: 'delivered', crmId: 'c', created: true, httpStatus: 201 }, [
      l,
      record(l, { traceparent: TRACEPARENT }),
    ]);
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.status.code, 0);
    assert.equal(span?.parentSpanContext?.spanId, '00f067aa0ba902b7');
    const [outcome] = headersOn(out, TOPICS.delivered);
    assert.equal(parseTraceparent(outcome?.['traceparent'])?.parentId, span?.spanContext().spanId);
  });
});

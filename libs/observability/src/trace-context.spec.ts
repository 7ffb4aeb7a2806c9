import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  InMemorySpanExporter,
  SimpleSpanProcessor,
  TracerProvider,
} from '@opentelemetry/sdk-trace';
import { LeadTracer } from './lead.tracer';
import {
  NO_TRACE_HEADERS,
  httpTraceHeaders,
  parseTraceparent,
  traceHeadersOf,
  withTraceHeaders,
} from './trace-context';
import type { Logger } from './logger';
import { startTracing, tracingSettings } from './tracing.sdk';

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT_ID = '00f067aa0ba902b7';
const TRACEPARENT = `00-${TRACE_ID}-${PARENT_ID}-01`;

function tracer() {
  const exporter = new InMemorySpanExporter();
  const provider = new TracerProvider({ spanProcessors: [new SimpleSpanProcessor({ exporter })] });
  return { sut: new LeadTracer(provider.getTracer('spec')), exporter };
}

describe('parseTraceparent', () => {
  it('reads a W3C traceparent', () => {
    assert.deepEqual(parseTraceparent(TRACEPARENT), {
      traceId: TRACE_ID,
      parentId: PARENT_ID,
      sampled: true,
    });
    assert.equal(parseTraceparent(`00-${TRACE_ID}-${PARENT_ID}-00`)?.sampled, false);
  });

  it('reads the four known fields of a later version', () => {
    assert.equal(parseTraceparent(`01-${TRACE_ID}-${PARENT_ID}-01-future`)?.traceId, TRACE_ID);
  });

  for (const [what, value] of [
    ['missing', undefined],
    ['empty', ''],
    ['version ff', `ff-${TRACE_ID}-${PARENT_ID}-01`],
    ['all-zero trace id', `00-${'0'.repeat(32)}-${PARENT_ID}-01`],
    ['all-zero parent id', `00-${TRACE_ID}-${'0'.repeat(16)}-01`],
    ['upper-case hex', `00-${TRACE_ID.toUpperCase()}-${PARENT_ID}-01`],
    ['a short trace id', `00-${TRACE_ID.slice(2)}-${PARENT_ID}-01`],
    ['version 00 with a suffix', `${TRACEPARENT}-extra`],
    ['not hex', `00-${'z'.repeat(32)}-${PARENT_ID}-01`],
  ] as const) {
    it(`refuses a ${what} traceparent`, () => assert.equal(parseTraceparent(value), null));
  }
});

describe('traceHeadersOf (tracing off: passed on unchanged)', () => {
  it('passes traceparent and tracestate on as they came, without reading them', () => {
    assert.deepEqual(
      traceHeadersOf({ traceparent: 'anything', tracestate: 'a=1', 'lr-attempts': '2' }),
      { traceparent: 'anything', tracestate: 'a=1' },
    );
  });

  it('gives the shared empty headers to a record without a traceparent', () => {
    assert.equal(traceHeadersOf({ 'lr-attempts': '2', tracestate: 'a=1' }), NO_TRACE_HEADERS);
  });
});

describe('withTraceHeaders', () => {
  it("puts the trace headers under an output's own", () => {
    assert.deepEqual(withTraceHeaders({ traceparent: TRACEPARENT }, { 'lr-due-at': '5' }), {
      traceparent: TRACEPARENT,
      'lr-due-at': '5',
    });
    assert.deepEqual(withTraceHeaders({ traceparent: TRACEPARENT }, { traceparent: 'own' }), {
      traceparent: 'own',
    });
  });

  it("leaves an output's headers alone (the same object) without trace headers", () => {
    const own = { 'lr-destination': 'crm' };
    assert.equal(withTraceHeaders(NO_TRACE_HEADERS, own), own);
    assert.equal(withTraceHeaders(NO_TRACE_HEADERS, undefined), undefined);
  });
});

describe('httpTraceHeaders', () => {
  it("honours a request's valid traceparent and its tracestate", () => {
    assert.deepEqual(httpTraceHeaders({ traceparent: TRACEPARENT, tracestate: 'v=1' }), {
      traceparent: TRACEPARENT,
      tracestate: 'v=1',
    });
    assert.deepEqual(httpTraceHeaders({ traceparent: TRACEPARENT, tracestate: ['a=1', 'b=2'] }), {
      traceparent: TRACEPARENT,
      tracestate: 'a=1,b=2',
    });
  });

  it('ignores a malformed or repeated traceparent, and tracestate with it', () => {
    assert.equal(httpTraceHeaders({ traceparent: 'garbage', tracestate: 'a=1' }), NO_TRACE_HEADERS);
    assert.equal(httpTraceHeaders({ traceparent: [TRACEPARENT, TRACEPARENT] }), NO_TRACE_HEADERS);
    assert.equal(httpTraceHeaders({ tracestate: 'a=1' }), NO_TRACE_HEADERS);
  });

  it('drops a tracestate longer than the spec allows', () => {
    assert.deepEqual(httpTraceHeaders({ traceparent: TRACEPARENT, tracestate: 'a'.repeat(600) }), {
      traceparent: TRACEPARENT,
    });
  });
});

describe('LeadTracer (inject and extract on Kafka headers)', () => {
  it("starts a record's span as the child of its traceparent and injects its own", async () => {
    const { sut, exporter } = tracer();
    const span = sut.start('normalizer process', {
      role: 'consumer',
      parent: { traceparent: TRACEPARENT, tracestate: 'vendor=x' },
    });
    const headers = span.headers;
    span.end();
    const [finished] = exporter.getFinishedSpans();
    assert.equal(finished?.spanContext().traceId, TRACE_ID);
    assert.equal(finished?.parentSpanContext?.spanId, PARENT_ID);
    const injected = parseTraceparent(headers['traceparent']);
    assert.equal(injected?.traceId, TRACE_ID);
    assert.equal(injected?.parentId, finished?.spanContext().spanId);
    assert.equal(headers['tracestate'], 'vendor=x');
  });

  it('continues the trace over a hop: the next span is the child of the injected one', () => {
    const { sut, exporter } = tracer();
    const first = sut.start('ingest', { role: 'server' });
    const second = sut.start('normalizer', { role: 'consumer', parent: first.headers });
    const child = sut.start('deliver', { role: 'client', parent: second });
    for (const s of [child, second, first]) s.end();
    const [c, s2, f] = exporter.getFinishedSpans();
    assert.equal(s2?.parentSpanContext?.spanId, f?.spanContext().spanId);
    assert.equal(c?.parentSpanContext?.spanId, s2?.spanContext().spanId);
    assert.equal(new Set([c, s2, f].map((x) => x?.spanContext().traceId)).size, 1);
  });

  it('starts a new trace for a malformed traceparent', () => {
    const { sut, exporter } = tracer();
    sut
      .start('normalizer', { role: 'consumer', parent: { traceparent: `ff-${TRACE_ID}-x` } })
      .end();
    const [finished] = exporter.getFinishedSpans();
    assert.equal(finished?.parentSpanContext, undefined);
    assert.notEqual(finished?.spanContext().traceId, TRACE_ID);
  });

  it('records a failure as status ERROR with its code', () => {
    const { sut, exporter } = tracer();
    const span = sut.start('router', { role: 'consumer' });
    span.event('lead_router.dead_lettered', { 'error.type': 'no_rule' });
    span.fail('no_rule');
    span.end();
    const [finished] = exporter.getFinishedSpans();
    assert.equal(finished?.status.code, 2);
    assert.equal(finished?.attributes['error.type'], 'no_rule');
    assert.equal(finished?.events[0]?.name, 'lead_router.dead_lettered');
  });
});

describe('tracingSettings', () => {
  it('is off with nothing set, with an endpoint alone, and with none', () => {
    assert.equal(tracingSettings({}).enabled, false);
    assert.equal(
      tracingSettings({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://jaeger:4318' }).enabled,
      false,
    );
    assert.equal(tracingSettings({ OTEL_TRACES_EXPORTER: 'none' }).enabled, false);
    assert.equal(tracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin' }).enabled, false);
  });

  it('is on with otlp, unless the SDK is disabled', () => {
    assert.equal(tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' }).enabled, true);
    assert.equal(tracingSettings({ OTEL_TRACES_EXPORTER: ' OTLP ,console' }).enabled, true);
    const disabled = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_SDK_DISABLED: 'true' };
    assert.equal(tracingSettings(disabled).enabled, false);
  });

  it('stays off, saying why, when asked for an exporter or an OTLP protocol not built in', () => {
    const otlp = { OTEL_TRACES_EXPORTER: 'otlp' };
    assert.deepEqual(tracingSettings({ OTEL_TRACES_EXPORTER: 'zipkin' }), {
      enabled: false,
      reason: 'OTEL_TRACES_EXPORTER=zipkin: only otlp is built in',
      requested: true,
    });
    assert.deepEqual(tracingSettings({ ...otlp, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), {
      enabled: false,
      reason:
        'OTEL_EXPORTER_OTLP_PROTOCOL=grpc: only http/json is built in (set it to http/json, or unset it)',
      requested: true,
    });
    // The traces-specific variable wins over the general one, as the spec says.
    const both = {
      ...otlp,
      OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc',
      OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'http/protobuf',
    };
    assert.match(
      (tracingSettings(both) as { reason: string }).reason,
      /^OTEL_EXPORTER_OTLP_TRACES_PROTOCOL=http\/protobuf: /,
    );
    const json = { ...otlp, OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'HTTP/JSON' };
    assert.equal(tracingSettings({ ...json, OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).enabled, true);
    assert.equal(tracingSettings({ ...otlp, OTEL_EXPORTER_OTLP_PROTOCOL: ' ' }).enabled, true);
    // Nothing asked for: off without a warning.
    assert.equal((tracingSettings({}) as { requested: boolean }).requested, false);
  });

  it('warns when tracing was asked for and cannot be done, and only then', async () => {
    const said: [string, unknown, string][] = [];
    const logger = {
      warn: (fields: unknown, msg: string) => said.push(['warn', fields, msg]),
      debug: (fields: unknown, msg: string) => said.push(['debug', fields, msg]),
    } as unknown as Logger;
    const env = { OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' };
    const tracing = startTracing('spec', { env, logger });
    assert.equal(tracing.enabled, false);
    startTracing('spec', { env: {}, logger });
    assert.deepEqual(
      said.map(([level, , msg]) => `${level} ${msg}`),
      ['warn tracing off', 'debug tracing off'],
    );
    assert.match(JSON.stringify(said[0]![1]), /OTEL_EXPORTER_OTLP_PROTOCOL=grpc/);
    await tracing.shutdown();
  });

  it('reads the sampler and the batch settings, ignoring bad values', () => {
    const settings = tracingSettings({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_TRACES_SAMPLER: 'parentbased_traceidratio',
      OTEL_TRACES_SAMPLER_ARG: '0.25',
      OTEL_BSP_SCHEDULE_DELAY: '200',
      OTEL_BSP_MAX_QUEUE_SIZE: 'lots',
    });
    assert.deepEqual(settings, {
      enabled: true,
      sampler: 'parentbased_traceidratio',
      samplerArg: 0.25,
      batch: { scheduledDelayMillis: 200 },
    });
    const unknown = tracingSettings({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_TRACES_SAMPLER: 'x' });
    assert.equal(unknown.enabled && unknown.sampler, 'parentbased_always_on');
  });
});

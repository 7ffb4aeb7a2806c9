import {
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Context,
  type Span,
  type TextMapGetter,
  type TextMapSetter,
  type Tracer,
} from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import type { TraceHeaders } from './trace-context';

/** Span attributes of lead-router's own (no personal data: ids, names of stages and topics). */
export const SPAN_ATTRIBUTES = {
  leadId: 'lead_router.lead_id',
  stage: 'lead_router.stage',
  destination: 'lead_router.destination',
  destinationType: 'lead_router.destination.type',
  attempt: 'lead_router.attempt',
  outcome: 'lead_router.outcome',
  batchSize: 'lead_router.batch.size',
  errorCode: 'error.type',
} as const;

/** The span events a lead's trace shows at its turning points. */
export const SPAN_EVENTS = {
  deadLettered: 'lead_router.dead_lettered',
  retried: 'lead_router.retried',
} as const;

/** What a span stands for, as OpenTelemetry's span kinds. */
export type SpanRole = 'server' | 'client' | 'producer' | 'consumer' | 'internal';

const KINDS: Record<SpanRole, SpanKind> = {
  server: SpanKind.SERVER,
  client: SpanKind.CLIENT,
  producer: SpanKind.PRODUCER,
  consumer: SpanKind.CONSUMER,
  internal: SpanKind.INTERNAL,
};

/** One span of a lead's trace, with the headers that carry it to the records it produces. */
export interface LeadSpan {
  /** The span's context, the parent of the spans started under it. */
  readonly context: Context;
  /** `traceparent` (and `tracestate`) naming this span, for the records produced on its behalf. */
  readonly headers: TraceHeaders;
  setAttributes(attributes: Attributes): void;
  event(name: string, attributes?: Attributes): void;
  /** Marks the span failed (status ERROR) with a short code; never a lead's personal data. */
  fail(code: string, message?: string): void;
  end(): void;
}

/** A span's parent: a span of this process, a record's (or request's) trace headers, or none. */
export type SpanParent = LeadSpan | TraceHeaders | undefined;

export interface SpanOptions {
  role: SpanRole;
  parent?: SpanParent;
  attributes?: Attributes;
}

const propagator = new W3CTraceContextPropagator();
const getter: TextMapGetter<TraceHeaders> = {
  get: (carrier, key) => carrier[key],
  keys: (carrier) => Object.keys(carrier),
};
const setter: TextMapSetter<Record<string, string>> = {
  set: (carrier, key, value) => {
    carrier[key] = value;
  },
};

/**
 * Starts lead-router's spans with explicit parents: a record's span is the child of the
 * `traceparent` its record carries, not of whatever async context the runtime's chunked, batched
 * loop happens to be in. A `traceparent` that is not valid W3C is ignored by the propagator, and
 * the span starts a trace of its own.
 */
export class LeadTracer {
  constructor(private readonly tracer: Tracer) {}

  start(name: string, options: SpanOptions): LeadSpan {
    const parent = parentContext(options.parent);
    const span = this.tracer.startSpan(
      name,
      {
        kind: KINDS[options.role],
        ...(options.attributes ? { attributes: options.attributes } : {}),
      },
      parent,
    );
    return new OtelLeadSpan(span, trace.setSpan(parent, span));
  }
}

function parentContext(parent: SpanParent): Context {
  if (parent === undefined) return ROOT_CONTEXT;
  if (parent instanceof OtelLeadSpan) return parent.context;
  return propagator.extract(ROOT_CONTEXT, parent as TraceHeaders, getter);
}

class OtelLeadSpan implements LeadSpan {
  private injected: TraceHeaders | undefined;

  constructor(
    private readonly span: Span,
    readonly context: Context,
  ) {}

  get headers(): TraceHeaders {
    if (this.injected === undefined) {
      const carrier: Record<string, string> = {};
      propagator.inject(this.context, carrier, setter);
      this.injected = carrier;
    }
    return this.injected;
  }

  setAttributes(attributes: Attributes): void {
    this.span.setAttributes(attributes);
  }

  event(name: string, attributes?: Attributes): void {
    this.span.addEvent(name, attributes);
  }

  fail(code: string, message?: string): void {
    this.span.setAttribute(SPAN_ATTRIBUTES.errorCode, code);
    this.span.setStatus({
      code: SpanStatusCode.ERROR,
      message: message === undefined ? code : `${code}: ${message}`,
    });
  }

  end(): void {
    this.span.end();
  }
}

let active: LeadTracer | null = null;

/**
 * The process's tracer, or null when tracing is off: then no span is started and a stage only
 * passes its records' trace headers on (see `traceHeadersOf`).
 */
export function activeTracer(): LeadTracer | null {
  return active;
}

/** Set by `startTracing` (and by specs with a tracer of their own). */
export function setActiveTracer(tracer: LeadTracer | null): void {
  active = tracer;
}

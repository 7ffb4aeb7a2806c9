import { context, propagation, trace } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { detectResources, envDetector, resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  TracerProvider,
  type Sampler,
  type SpanExporter,
} from '@opentelemetry/sdk-trace';
import { LeadTracer, setActiveTracer } from './lead.tracer';
import type { TracingSettings } from './tracing.sdk';

/**
 * The OpenTelemetry SDK of a process that traces, loaded by `startTracing` only when tracing is
 * on: the provider with its sampler and batch processor, the context manager, the W3C propagator,
 * and the process's `LeadTracer`.
 */
export function startProvider(
  service: string,
  settings: Extract<TracingSettings, { enabled: true }>,
  exporter?: SpanExporter,
): TracerProvider {
  const resource = resourceFromAttributes({ 'service.name': service }).merge(
    detectResources({ detectors: [envDetector] }),
  );
  const provider = new TracerProvider({
    resource,
    sampler: samplerOf(settings.sampler, settings.samplerArg),
    spanProcessors: [
      new BatchSpanProcessor({ exporter: exporter ?? new OTLPTraceExporter(), ...settings.batch }),
    ],
  });
  context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
  propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  trace.setGlobalTracerProvider(provider);
  setActiveTracer(new LeadTracer(provider.getTracer('lead-router')));
  return provider;
}

/** The sampler `OTEL_TRACES_SAMPLER` names (spec defaults: parent-based, always on, ratio 1). */
export function samplerOf(name: string, arg: number | null): Sampler {
  const ratio = () => new TraceIdRatioBasedSampler(arg ?? 1);
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

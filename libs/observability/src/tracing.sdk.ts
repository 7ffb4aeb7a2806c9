import type { SpanExporter } from '@opentelemetry/sdk-trace';
import { setActiveTracer } from './lead.tracer';
import type { Logger } from './logger';

type Env = Readonly<Record<string, string | undefined>>;

/** Whether this process traces, and why, read from the standard `OTEL_*` variables. */
export type TracingSettings =
  /** `requested`: the variables ask for tracing this build cannot do (said at warn, not debug). */
  | { enabled: false; reason: string; requested: boolean }
  | {
      enabled: true;
      sampler: string;
      samplerArg: number | null;
      batch: {
        maxQueueSize?: number;
        maxExportBatchSize?: number;
        scheduledDelayMillis?: number;
        exportTimeoutMillis?: number;
      };
    };

const SAMPLERS = [
  'always_on',
  'always_off',
  'traceidratio',
  'parentbased_always_on',
  'parentbased_always_off',
  'parentbased_traceidratio',
];

/**
 * Tracing is on only when `OTEL_TRACES_EXPORTER` names `otlp` (and `OTEL_SDK_DISABLED` is not
 * `true`). The spec's default exporter is `otlp`; lead-router's is `none`, so a deployment that
 * sets nothing pays nothing, and one that sets `OTEL_EXPORTER_OTLP_ENDPOINT` for every service
 * (docker-compose does) turns tracing on with this one variable. Exporters other than `otlp`, and
 * OTLP over another protocol than HTTP with JSON bodies (`OTEL_EXPORTER_OTLP_TRACES_PROTOCOL`, or
 * `OTEL_EXPORTER_OTLP_PROTOCOL`, set to `grpc` or `http/protobuf`), are not built in: asking for
 * one leaves tracing off, with the reason logged as a warning (spans sent as JSON to a gRPC port
 * would be refused one batch at a time, which is worse).
 */
export function tracingSettings(env: Env): TracingSettings {
  if (env['OTEL_SDK_DISABLED']?.trim().toLowerCase() === 'true') {
    return { enabled: false, reason: 'OTEL_SDK_DISABLED=true', requested: false };
  }
  const exporters = (env['OTEL_TRACES_EXPORTER'] ?? '')
    .split(',')
    .map((e) => e.trim().toLowerCase())
    .filter((e) => e !== '');
  if (exporters.length === 0 || exporters.includes('none')) {
    return { enabled: false, reason: 'OTEL_TRACES_EXPORTER is not otlp', requested: false };
  }
  if (!exporters.includes('otlp')) {
    return {
      enabled: false,
      reason: `OTEL_TRACES_EXPORTER=${exporters.join(',')}: only otlp is built in`,
      requested: true,
    };
  }
  const protocolVariable = [
    'OTEL_EXPORTER_OTLP_TRACES_PROTOCOL',
    'OTEL_EXPORTER_OTLP_PROTOCOL',
  ].find((name) => (env[name]?.trim() ?? '') !== '');
  const protocol = protocolVariable && env[protocolVariable]!.trim().toLowerCase();
  if (protocol && protocol !== 'http/json') {
    return {
      enabled: false,
      reason: `${protocolVariable}=${protocol}: only http/json is built in (set it to http/json, or unset it)`,
      requested: true,
    };
  }
  const named = env['OTEL_TRACES_SAMPLER']?.trim().toLowerCase() || 'parentbased_always_on';
  const sampler = SAMPLERS.includes(named) ? named : 'parentbased_always_on';
  const arg = Number(env['OTEL_TRACES_SAMPLER_ARG']);
  const samplerArg =
    env['OTEL_TRACES_SAMPLER_ARG'] !== undefined && arg >= 0 && arg <= 1 ? arg : null;
  const batch = {
    ...positive(env, 'OTEL_BSP_MAX_QUEUE_SIZE', 'maxQueueSize'),
    ...positive(env, 'OTEL_BSP_MAX_EXPORT_BATCH_SIZE', 'maxExportBatchSize'),
    ...positive(env, 'OTEL_BSP_SCHEDULE_DELAY', 'scheduledDelayMillis'),
    ...positive(env, 'OTEL_BSP_EXPORT_TIMEOUT', 'exportTimeoutMillis'),
  };
  return { enabled: true, sampler, samplerArg, batch };
}

function positive<K extends string>(env: Env, name: string, key: K): Partial<Record<K, number>> {
  const raw = env[name];
  const value = Number(raw);
  return raw !== undefined && Number.isInteger(value) && value > 0
    ? ({ [key]: value } as Record<K, number>)
    : {};
}

/** The running tracing of a process; `shutdown` exports the spans still buffered. */
export interface Tracing {
  readonly enabled: boolean;
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, shutdown: async () => undefined };

export interface StartTracingOptions {
  env?: Env;
  logger?: Logger;
  /** Where spans go; default the OTLP/HTTP (JSON) exporter configured by `OTEL_EXPORTER_OTLP_*`. */
  exporter?: SpanExporter;
}

/**
 * Starts the OpenTelemetry SDK for a service when `tracingSettings` says so: spans batched and
 * exported over OTLP/HTTP to `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` (or `OTEL_EXPORTER_OTLP_ENDPOINT`
 * + `/v1/traces`; the exporter reads those, `OTEL_EXPORTER_OTLP_HEADERS` and `_TIMEOUT` itself),
 * the resource's `service.name` the service's own unless `OTEL_SERVICE_NAME` or
 * `OTEL_RESOURCE_ATTRIBUTES` say otherwise. Off, the SDK is not even loaded (`tracing.provider`):
 * no provider, no context manager, `activeTracer()` stays null.
 */
export function startTracing(service: string, options: StartTracingOptions = {}): Tracing {
  const env = options.env ?? process.env;
  const settings = tracingSettings(env);
  if (!settings.enabled) {
    if (settings.requested) options.logger?.warn({ reason: settings.reason }, 'tracing off');
    else options.logger?.debug({ reason: settings.reason }, 'tracing off');
    return OFF;
  }
  // The SDK's modules (about 150, 7 MB of a service's memory) load only when tracing is on.
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const { startProvider } = require('./tracing.provider') as typeof import('./tracing.provider');
  const provider = startProvider(service, settings, options.exporter);
  options.logger?.info(
    { sampler: settings.sampler, endpoint: endpointOf(env) },
    'tracing on: spans exported over OTLP/HTTP',
  );
  let stopped: Promise<void> | null = null;
  return {
    enabled: true,
    shutdown: () =>
      (stopped ??= (async () => {
        setActiveTracer(null);
        try {
          await provider.shutdown();
        } catch (err) {
          options.logger?.warn({ err }, 'spans could not be exported at shutdown');
        }
      })()),
  };
}

function endpointOf(env: Env): string {
  return (
    env['OTEL_EXPORTER_OTLP_TRACES_ENDPOINT'] ??
    (env['OTEL_EXPORTER_OTLP_ENDPOINT']
      ? `${env['OTEL_EXPORTER_OTLP_ENDPOINT'].replace(/\/$/, '')}/v1/traces`
      : 'http://localhost:4318/v1/traces')
  );
}

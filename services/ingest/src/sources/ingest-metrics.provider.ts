import type { Provider } from '@nestjs/common';
import { createIngestMetrics } from '@lead-router/observability';
import { METRICS_REGISTRY } from '@lead-router/service-kit';
import type { Registry } from 'prom-client';

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
export const INGEST_METRICS = Symbol('INGEST_METRICS');

/** Ingest's per-source counters, on the service's registry (served by /metrics). */
export const ingestMetricsProvider: Provider = {
  provide: INGEST_METRICS,
  inject: [METRICS_REGISTRY],
  useFactory: (registry: Registry) => createIngestMetrics(registry),
};

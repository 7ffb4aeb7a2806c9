import type { Provider } from '@nestjs/common';
import { createIngestMetrics } from '@lead-router/observability';
import { METRICS_REGISTRY } from '@lead-router/service-kit';
import type { Registry } from 'prom-client';
import { LoadGate } from '../load-gate';

export type IngestMetrics = ReturnType<typeof createIngestMetrics>;
export const INGEST_METRICS = Symbol('INGEST_METRICS');

/** Ingest's per-source counters and the work it holds, on the service's registry (/metrics). */
export const ingestMetricsProvider: Provider = {
  provide: INGEST_METRICS,
  inject: [METRICS_REGISTRY, { token: LoadGate, optional: true }],
  useFactory: (registry: Registry, gate?: LoadGate) =>
    createIngestMetrics(
      registry,
      gate && (() => ({ open_requests: gate.openRequests, pending_leads: gate.pendingLeads })),
    ),
};

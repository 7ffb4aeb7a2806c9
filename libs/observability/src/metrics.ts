import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import { MetricNames } from './metric-names';

/** Latency buckets from 1 ms to 60 s: stage work is milliseconds, delivery can be seconds. */
const latencyBuckets = [
  0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60,
];

/**
 * A transaction's phases are a few round trips to the broker each: milliseconds, finer than
 * `latencyBuckets`, up to the transaction timeout.
 */
const transactionBuckets = [
  0.0005, 0.001, 0.002, 0.004, 0.006, 0.008, 0.01, 0.015, 0.02, 0.03, 0.05, 0.075, 0.1, 0.25, 0.5,
  1, 2.5, 5, 15,
];

export interface StageMetrics {
  readonly registry: Registry;
  /** Records a stage consumed, by outcome (ok, dlq, retry; erased: a forgotten person's). */
  readonly records: Counter<'stage' | 'topic' | 'outcome'>;
  readonly errors: Counter<'stage' | 'code'>;
  /** Time a stage spent on one record, from decode to handing on its outputs. */
  readonly stageLatency: Histogram<'stage'>;
  readonly batchDuration: Histogram<'stage'>;
  /**
   * An exactly-once stage's chunk transactions, each phase apart: `send` (the records, with
   * AddPartitionsToTxn), `offsets` (AddOffsetsToTxn and TxnOffsetCommit), `commit` (EndTxn).
   */
  readonly transactionPhase: Histogram<'stage' | 'phase'>;
  readonly consumerLag: Gauge<'stage' | 'topic' | 'partition'>;
  readonly produced: Counter<'topic'>;
}

export function createRegistry(service: string): Registry {
  const registry = new Registry();
  registry.setDefaultLabels({ service });
  collectDefaultMetrics({ register: registry });
  return registry;
}

export function createStageMetrics(registry: Registry): StageMetrics {
  return {
    registry,
    records: new Counter({
      name: MetricNames.records,
      help: 'Records consumed by a stage, by outcome',
      labelNames: ['stage', 'topic', 'outcome'],
      registers: [registry],
    }),
    errors: new Counter({
      name: MetricNames.errors,
      help: 'Errors by stage and error code',
      labelNames: ['stage', 'code'],
      registers: [registry],
    }),
    stageLatency: new Histogram({
      name: MetricNames.stageLatency,
      help: 'Seconds a stage spent on one record',
      labelNames: ['stage'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    batchDuration: new Histogram({
      name: MetricNames.batchDuration,
      help: 'Seconds to process one fetched batch, outputs acknowledged and offset committed',
      labelNames: ['stage'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
    transactionPhase: new Histogram({
      name: MetricNames.transactionPhase,
      help: "Seconds of each phase of an exactly-once stage's chunk transaction: send and offsets (overlapping, each from the start), then commit",
      labelNames: ['stage', 'phase'],
      buckets: transactionBuckets,
      registers: [registry],
    }),
    consumerLag: new Gauge({
      name: MetricNames.consumerLag,
      help: 'Records between the last processed offset and the partition high watermark',
      labelNames: ['stage', 'topic', 'partition'],
      registers: [registry],
    }),
    produced: new Counter({
      name: MetricNames.produced,
      help: 'Records produced and acknowledged by the broker, by topic',
      labelNames: ['topic'],
      registers: [registry],
    }),
  };
}

export function createSpeedToLead(registry: Registry): Histogram<'source' | 'destination'> {
  return new Histogram({
    name: MetricNames.speedToLead,
    help: 'Seconds from capture to the destination acknowledging the lead',
    labelNames: ['source', 'destination'],
    buckets: [0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [registry],
  });
}

export function createHttpMetrics(registry: Registry): {
  requests: Counter<'route' | 'status'>;
  duration: Histogram<'route'>;
} {
  return {
    requests: new Counter({
      name: MetricNames.httpRequests,
      help: 'HTTP requests by route and status code',
      labelNames: ['route', 'status'],
      registers: [registry],
    }),
    duration: new Histogram({
      name: MetricNames.httpDuration,
      help: 'Seconds from request to response',
      labelNames: ['route'],
      buckets: latencyBuckets,
      registers: [registry],
    }),
  };
}

/**
 * Ingest's per-source figures (every request and every lead carries the source's name), the
 * requests it shed, and, when `held` is given, the work it holds at each scrape.
 */
export function createIngestMetrics(
  registry: Registry,
  held?: () => Readonly<Record<string, number>>,
): {
  requests: Counter<'source' | 'route' | 'status'>;
  leads: Counter<'source' | 'topic'>;
  shed: Counter<'reason'>;
} {
  if (held) {
    new Gauge({
      name: MetricNames.ingestHeld,
      help: 'Work ingest holds: lead requests open (open_requests), leads awaiting ack (pending_leads)',
      labelNames: ['kind'],
      registers: [registry],
      collect() {
        for (const [kind, value] of Object.entries(held())) this.set({ kind }, value);
      },
    });
  }
  return {
    requests: new Counter({
      name: MetricNames.ingestRequests,
      help: 'Ingest requests by source, route and status code',
      labelNames: ['source', 'route', 'status'],
      registers: [registry],
    }),
    leads: new Counter({
      name: MetricNames.ingestLeads,
      help: 'Leads (leads.raw) and lead references (sources.fetch) ingest handed to Kafka, by source',
      labelNames: ['source', 'topic'],
      registers: [registry],
    }),
    shed: new Counter({
      name: MetricNames.ingestShed,
      help: 'Requests ingest answered 503 at the door (load shedding, Kafka unavailable), by reason',
      labelNames: ['reason'],
      registers: [registry],
    }),
  };
}

/** source-fetcher's calls to the platforms' APIs, by source and outcome (ok, retry, dead). */
export function createSourceFetchMetrics(registry: Registry): Counter<'source' | 'outcome'> {
  return new Counter({
    name: MetricNames.sourceFetches,
    help: "source-fetcher's platform API calls by source and outcome",
    labelNames: ['source', 'outcome'],
    registers: [registry],
  });
}

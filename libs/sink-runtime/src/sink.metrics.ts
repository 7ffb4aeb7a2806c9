import { MetricNames, createSpeedToLead } from '@lead-router/observability';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

type Labels = 'sink' | 'destination';

/** The sink layer's metrics, per destination; speed-to-lead by source and destination. */
export interface SinkMetrics {
  readonly delivered: Counter<Labels>;
  readonly failed: Counter<Labels>;
  /** Leads sent to a retry tier, by why (`attempt`, `quota`, `budget`, `circuit`, `stopped`). */
  readonly retried: Counter<Labels | 'reason'>;
  /** Batches the budget held back past the wait threshold. */
  readonly throttled: Counter<Labels>;
  readonly fellBack: Counter<Labels>;
  /** A destination stopped until a person acts: alert on any increase. */
  readonly stopped: Counter<Labels>;
  readonly inFlight: RequestsInFlight;
  /** 1 while the destination's circuit is open on this instance (as of its last batch), else 0. */
  readonly circuitOpen: Gauge<Labels>;
  /**
   * Unix seconds until which this instance parked the destination, by why (`quota`, `stopped`);
   * 0 until it parks it. Parked now when above `time()`.
   */
  readonly parkedUntil: Gauge<Labels | 'reason'>;
  readonly batchSize: Histogram<Labels>;
  readonly speedToLead: Histogram<'source' | 'destination'>;
}

export function createSinkMetrics(registry: Registry): SinkMetrics {
  const counter = <L extends string>(name: string, help: string, labelNames: L[]) =>
    new Counter<L>({ name, help, labelNames, registers: [registry] });
  const labels: Labels[] = ['sink', 'destination'];
  return {
    delivered: counter(MetricNames.sinkDelivered, 'Leads a destination acknowledged', labels),
    failed: counter(MetricNames.sinkFailed, 'Leads that ended FAILED (dead-lettered)', labels),
    retried: counter(MetricNames.sinkRetried, 'Leads moved to a retry tier, by reason', [
      ...labels,
      'reason',
    ]),
    throttled: counter(
      MetricNames.sinkThrottled,
      'Batches the request budget held back to a retry tier',
      labels,
    ),
    fellBack: counter(
      MetricNames.sinkFellBack,
      'Leads sent on to the fallback destination',
      labels,
    ),
    stopped: counter(
      MetricNames.sinkStopped,
      'Times a destination answered that it cannot be used until a person acts',
      labels,
    ),
    inFlight: new RequestsInFlight(registry),
    circuitOpen: new Gauge({
      name: MetricNames.sinkCircuitOpen,
      help: "1 while the destination's circuit breaker is open on this instance, else 0",
      labelNames: labels,
      registers: [registry],
    }),
    parkedUntil: new Gauge({
      name: MetricNames.sinkParkedUntil,
      help: 'Unix time the parking this instance set on a destination ends, by reason (0: never parked)',
      labelNames: [...labels, 'reason'],
      registers: [registry],
    }),
    batchSize: new Histogram({
      name: MetricNames.sinkBatchSize,
      help: 'Leads per request to a destination',
      labelNames: labels,
      buckets: [1, 2, 5, 10, 25, 50, 100, 200, 500, 1000],
      registers: [registry],
    }),
    speedToLead: createSpeedToLead(registry),
  };
}

/**
 * Requests to a destination awaiting their answer, counted in a map and written to the gauge
 * (`lead_router_sink_requests_in_flight`) when it is scraped. Updating a labelled gauge as each request
 * starts and ends cost the webhook sink two label hashes a delivery (prom-client sorts and joins
 * the labels on every call) for a figure nobody reads between scrapes.
 */
export class RequestsInFlight {
  private readonly counts = new Map<string, { labels: Record<Labels, string>; count: number }>();

  constructor(registry: Registry) {
    const counts = this.counts;
    new Gauge<Labels>({
      name: MetricNames.sinkInFlight,
      help: 'Requests to a destination awaiting their answer',
      labelNames: ['sink', 'destination'],
      registers: [registry],
      collect() {
        for (const { labels, count } of counts.values()) this.set(labels, count);
      },
    });
  }

  start(labels: Record<Labels, string>): void {
    const key = `${labels.sink}\u0000${labels.destination}`;
    const entry = this.counts.get(key);
    if (entry === undefined) this.counts.set(key, { labels: { ...labels }, count: 1 });
    else entry.count++;
  }

  end(labels: Record<Labels, string>): void {
    const entry = this.counts.get(`${labels.sink}\u0000${labels.destination}`);
    if (entry !== undefined) entry.count--;
  }
}

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
  /** Seconds a request waited at the gate and for the destination's answer; see `RequestPhases`. */
  readonly requestPhase: RequestPhases;
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
    requestPhase: new RequestPhases(registry),
    speedToLead: createSpeedToLead(registry),
  };
}

/** What a request of a sink waits on: its turn through the gate, then the destination. */
export type RequestPhase = 'gate' | 'answer';

/**
 * Seconds up to a destination's request timeout (minutes for a CRM's bulk call), from half a
 * millisecond: a gate with nothing to wait for answers in well under one.
 */
const REQUEST_PHASE_BUCKETS = [
  0.0005, 0.001, 0.002, 0.004, 0.008, 0.015, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];

/**
 * `lead_router_sink_request_phase_seconds{sink, destination, phase}`: for each request, `gate`
 * (from the batch's turn to its budget granted: the parking read, the budget and its waits) and
 * `answer` (sent to answered or failed). Which of the two a slow delivery hop spends its time in
 * says whether to look at the destination or at the sink. Each labelled series is made once per
 * destination and phase; an observation costs about 0.4 µs (prom-client still hashes the labels
 * each time), two a request.
 */
export class RequestPhases {
  private readonly histogram: Histogram<Labels | 'phase'>;
  private readonly series = new Map<string, Histogram.Internal<Labels | 'phase'>>();

  constructor(registry: Registry) {
    this.histogram = new Histogram({
      name: MetricNames.sinkRequestPhase,
      help: "Seconds of a sink's request by phase: gate (turn to budget granted), answer (sent to answered or failed)",
      labelNames: ['sink', 'destination', 'phase'],
      buckets: REQUEST_PHASE_BUCKETS,
      registers: [registry],
    });
  }

  observe(sink: string, destination: string, phase: RequestPhase, seconds: number): void {
    const key = `${sink}\u0000${destination}\u0000${phase}`;
    let series = this.series.get(key);
    if (series === undefined) {
      series = this.histogram.labels({ sink, destination, phase });
      this.series.set(key, series);
    }
    series.observe(seconds);
  }
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

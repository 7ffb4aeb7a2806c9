import { MetricNames, createSpeedToLead } from '@lead-router/observability';
import {
  Counter,
  Gauge,
  Histogram,
  type MetricType,
  type Metric,
  type MetricObjectWithValues,
  type MetricValueWithName,
  type Registry,
} from 'prom-client';

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
const REQUEST_PHASES = ['gate', 'answer'] as const;
export type RequestPhase = (typeof REQUEST_PHASES)[number];

/**
 * Seconds up to a destination's request timeout (minutes for a CRM's bulk call), from half a
 * millisecond: a gate with nothing to wait for answers in well under one.
 */
const REQUEST_PHASE_BUCKETS = [
  0.0005, 0.001, 0.002, 0.004, 0.008, 0.015, 0.03, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120,
];

/** One destination's requests: per phase, the count in each bucket (the last: +Inf), sum, count. */
interface PhaseSeries {
  readonly labels: { sink: string; destination: string };
  readonly buckets: Record<RequestPhase, Float64Array>;
  readonly sum: Record<RequestPhase, number>;
  readonly count: Record<RequestPhase, number>;
}

/**
 * `lead_router_sink_request_phase_seconds{sink, destination, phase}`: for each request, `gate`
 * (from the batch's turn to its budget granted: the parking read, the budget and its waits) and
 * `answer` (sent to answered or failed). Which of the two a slow delivery hop spends its time in
 * says whether to look at the destination or at the sink.
 *
 * A histogram of its own, registered with the registry as prom-client's are and written out the
 * same way: a webhook request carries one lead, so this is observed twice a lead, and prom-client's
 * `observe` (labels checked and hashed each time, about 0.4 µs) with its caller took 1.7 % of a
 * webhook sink's CPU in a profile. Here an observation is a bucket search and three additions.
 */
export class RequestPhases {
  readonly name = MetricNames.sinkRequestPhase;
  readonly help =
    "Seconds of a sink's request by phase: gate (turn to budget granted), answer (sent to answered or failed)";
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  /**
   * By destination: a registry holds one sink's metrics (`createSinkMetrics` registers its names
   * once), so the `sink` label is the same on every series.
   */
  private readonly series = new Map<string, PhaseSeries>();

  constructor(registry: Registry) {
    registry.registerMetric(this as unknown as Metric);
  }

  observe(sink: string, destination: string, phase: RequestPhase, seconds: number): void {
    let series = this.series.get(destination);
    if (series === undefined) {
      const empty = () => new Float64Array(REQUEST_PHASE_BUCKETS.length + 1);
      series = {
        labels: { sink, destination },
        buckets: { gate: empty(), answer: empty() },
        sum: { gate: 0, answer: 0 },
        count: { gate: 0, answer: 0 },
      };
      this.series.set(destination, series);
    }
    let i = 0;
    while (i < REQUEST_PHASE_BUCKETS.length && seconds > REQUEST_PHASE_BUCKETS[i]!) i++;
    series.buckets[phase][i]!++;
    series.sum[phase] += seconds;
    series.count[phase]++;
  }

  /** What the registry writes out: cumulative buckets, then `_sum` and `_count`, per series. */
  get(): Promise<MetricObjectWithValues<MetricValueWithName<string>>> {
    const values: MetricValueWithName<string>[] = [];
    for (const { labels, buckets, sum, count } of this.series.values()) {
      for (const phase of REQUEST_PHASES) {
        const of = { ...labels, phase };
        let cumulative = 0;
        REQUEST_PHASE_BUCKETS.forEach((le, i) => {
          cumulative += buckets[phase][i]!;
          values.push({
            metricName: `${this.name}_bucket`,
            labels: { le, ...of },
            value: cumulative,
          });
        });
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { le: '+Inf', ...of },
          value: count[phase],
        });
        values.push({ metricName: `${this.name}_sum`, labels: of, value: sum[phase] });
        values.push({ metricName: `${this.name}_count`, labels: of, value: count[phase] });
      }
    }
    return Promise.resolve({
      name: this.name,
      help: this.help,
      // prom-client's typings declare MetricType as an enum it does not export at run time.
      type: this.type as unknown as MetricType,
      values,
      aggregator: this.aggregator,
      // The typings ask every metric object for one; nothing here is gathered at scrape time.
      collect: () => undefined,
    });
  }

  reset(): void {
    this.series.clear();
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

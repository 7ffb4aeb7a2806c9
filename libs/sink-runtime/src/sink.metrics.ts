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
  readonly inFlight: Gauge<Labels>;
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
    inFlight: new Gauge({
      name: MetricNames.sinkInFlight,
      help: 'Requests to a destination awaiting their answer',
      labelNames: labels,
      registers: [registry],
    }),
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

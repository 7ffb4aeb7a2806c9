import {
  deliveryIdFor,
  withDeadline,
  type DeliveryVerdict,
  type LeadVerdict,
} from '@lead-router/delivery';
import { errorMessage } from '@lead-router/errors';
import {
  DESTINATION_HEADER,
  FALLBACK_FROM_HEADER,
  type RecordContext,
  type StageOutput,
} from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import type { DeliveryAnswer, Destination, RoutedLead } from '@lead-router/schemas';
import { tracedSend } from './delivery.tracing';
import { DestinationBreakers } from './destination.breakers';
import type { DestinationGate } from './destination.gate';
import { destinationPolicy, type DestinationPolicy } from './destination.policy';
import { longestDelayMs } from './retry-tier.selector';
import type {
  CommonDestinationConfig,
  ConfigResolver,
  DeliveryTask,
  SinkAdapter,
} from './sink.adapter';
import type { SinkMetrics } from './sink.metrics';
import {
  taskRecords,
  type AttemptFacts,
  type SinkTopics,
  type TaskRecord,
} from './task-records.builder';
import { dispositionFor, openCircuitDisposition, type Disposition } from './verdict.disposition';

export interface SinkDelivererOptions<C extends CommonDestinationConfig> {
  /** The stage name: the `sink` metric label and a dead letter's stage. */
  sink: string;
  adapter: SinkAdapter<C>;
  resolveConfig: ConfigResolver<C>;
  gate: DestinationGate;
  metrics: SinkMetrics;
  logger: Logger;
  topics: SinkTopics;
  /** Requests in flight at once from this instance, across destinations. */
  maxInFlight: number;
  /** The longest the layer waits for the budget before it sends the batch to a retry tier. */
  budgetWaitMs: number;
  /** Aborts a request that takes longer. */
  requestTimeoutMs: number;
  breakers?: DestinationBreakers;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

export type PendingTask<C extends CommonDestinationConfig> = DeliveryTask<C> & TaskRecord;

/** Why a lead went to a retry tier, the `reason` label of the retried metric. */
type RetryReason = 'attempt' | 'quota' | 'budget' | 'circuit' | 'stopped';

/** The answer a DeliveryAttempt records for a verdict. */
const ANSWERS: Record<DeliveryVerdict['kind'], DeliveryAnswer> = {
  delivered: 'DELIVERED',
  retry: 'RETRY',
  wait_for_quota: 'WAIT_FOR_QUOTA',
  refresh_token: 'REFRESH_TOKEN',
  resend: 'RESEND',
  stop: 'STOPPED',
  permanent: 'PERMANENT',
};

/** A hold's answer by why the layer held the batch back without a request. */
const HOLDS: Record<'quota' | 'budget' | 'circuit', DeliveryAnswer> = {
  quota: 'PARKED',
  budget: 'BUDGET',
  circuit: 'CIRCUIT_OPEN',
};

/** What a DeliveryAttempt records of a verdict the destination gave for one lead. */
function answered(
  verdict: DeliveryVerdict,
  batchSize: number,
  durationMs: number | null,
): AttemptFacts {
  const message =
    verdict.kind === 'delivered'
      ? null
      : verdict.kind === 'stop'
        ? verdict.alert
        : verdict.kind === 'permanent'
          ? `${verdict.code}: ${verdict.message}`
          : verdict.reason;
  return {
    answer: ANSWERS[verdict.kind],
    sent: true,
    httpStatus: verdict.httpStatus ?? null,
    message,
    externalId: verdict.kind === 'delivered' ? verdict.crmId : null,
    batchSize,
    durationMs,
  };
}

const UNKNOWN_DESTINATION = 'unknown_destination';

/**
 * The shared half of every sink: collects the (lead, destination) pairs of the sink's type,
 * sends them per destination in batches within the destination's budget and breaker, at most
 * `maxInFlight` requests at once, and turns each answer into the records to produce (see
 * `dispositionFor` and `taskRecords`). It never throws for a destination's failure; it throws
 * only when the shared state (Redis) cannot be reached, so the chunk is processed again.
 */
export class SinkDeliverer<C extends CommonDestinationConfig> {
  private readonly now: () => number;
  private readonly sleep: (ms: number) => Promise<void>;
  readonly breakers: DestinationBreakers;
  /** Destinations this instance has sent to: their gauges are exported from the first batch. */
  private readonly seen = new Set<string>();
  /** What lead_router_sink_circuit_open last said of each destination: it is set on a change. */
  private readonly circuitShown = new Map<string, number>();

  constructor(private readonly options: SinkDelivererOptions<C>) {
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? ((ms) => new Promise((resolve) => setTimeout(resolve, ms)));
    this.breakers =
      options.breakers ??
      new DestinationBreakers(this.now, (destination, open) =>
        options.logger.warn(
          { destination, sink: options.sink },
          open ? 'circuit opened' : 'circuit closed',
        ),
      );
  }

  /**
   * The tasks a record holds for this sink: its destinations of the adapter's type (only the
   * one its `lr-destination` header names, on a retry tier). A destination the configuration
   * does not know ends at once, FAILED, in `outputs`.
   */
  async tasksOf(
    lead: RoutedLead,
    record: RecordContext,
  ): Promise<{ tasks: PendingTask<C>[]; outputs: StageOutput[] }> {
    const only = record.headers[DESTINATION_HEADER] || null;
    const fallbackFrom = record.headers[FALLBACK_FROM_HEADER] || undefined;
    const tasks: PendingTask<C>[] = [];
    const outputs: StageOutput[] = [];
    for (const destination of lead.destinations) {
      if (destination.type !== this.options.adapter.type) continue;
      if (only !== null && destination.id !== only) continue;
      const base = {
        lead,
        destination,
        attempts: record.attempts,
        deliveryId: deliveryIdFor(lead.lead.lead_id, destination.id),
        source: record,
        ...(fallbackFrom !== undefined ? { fallbackFrom } : {}),
      };
      const config = await this.options.resolveConfig(lead, destination.id);
      if (config === undefined) {
        outputs.push(
          ...(await this.settle(base, {
            kind: 'failed',
            code: UNKNOWN_DESTINATION,
            message: `no configuration for destination ${destination.id} in rule set ${lead.decision.rule_set_id} version ${lead.decision.rule_set_version}`,
          })),
        );
        continue;
      }
      tasks.push({ ...base, config });
    }
    return { tasks, outputs };
  }

  /** Delivers the tasks and answers the records to produce for them, one disposition each. */
  async deliver(tasks: readonly PendingTask<C>[]): Promise<StageOutput[]> {
    const byDestination = new Map<string, PendingTask<C>[]>();
    for (const t of tasks) {
      const group = byDestination.get(t.destination.id) ?? [];
      group.push(t);
      byDestination.set(t.destination.id, group);
    }
    const jobs: (() => Promise<StageOutput[]>)[] = [];
    for (const group of byDestination.values()) {
      const config = group[0]!.config;
      const policy = destinationPolicy(config);
      const size = Math.max(
        1,
        Math.min(policy.batchMaxSize ?? Infinity, this.options.adapter.maxBatchSize(config)),
      );
      for (let i = 0; i < group.length; i += size) {
        const batch = group.slice(i, i + size);
        jobs.push(() => this.deliverBatch(batch, policy));
      }
    }
    return (await runLimited(jobs, this.options.maxInFlight)).flat();
  }

  private async deliverBatch(
    batch: PendingTask<C>[],
    policy: DestinationPolicy,
  ): Promise<StageOutput[]> {
    const { adapter, gate, metrics, sink } = this.options;
    const destination = batch[0]!.destination.id;
    const labels = { sink, destination };
    const turnAt = this.now();
    const hold = async (d: Disposition, reason: 'quota' | 'budget' | 'circuit', at?: number) => {
      const facts: AttemptFacts = {
        answer: HOLDS[reason],
        sent: false,
        httpStatus: null,
        message: 'reason' in d ? d.reason : null,
        externalId: null,
        batchSize: batch.length,
        durationMs: null,
      };
      return (await Promise.all(batch.map((t) => this.settle(t, d, reason, facts, at)))).flat();
    };

    if (!this.seen.has(destination)) {
      this.seen.add(destination);
      for (const reason of ['quota', 'stopped']) metrics.parkedUntil.set({ ...labels, reason }, 0);
    }
    const circuit = () => {
      const open = this.breakers.openForMs(destination) === null ? 0 : 1;
      if (this.circuitShown.get(destination) === open) return;
      this.circuitShown.set(destination, open);
      metrics.circuitOpen.set(labels, open);
    };
    circuit();
    const parkedUntil = await gate.parkedUntil(destination);
    if (parkedUntil !== null) {
      // One clock reading for the delay and the records, so the lead is due when the park ends.
      const now = this.now();
      return hold(
        {
          kind: 'retry',
          delayMs: parkedUntil - now,
          reason: 'destination parked',
          counts: false,
        },
        'quota',
        now,
      );
    }
    // An open circuit holds the leads until it lets its probe through: not a whole
    // `half_open_after` from now, so they are back when the destination may be again.
    const probeAt = this.breakers.probeAt(destination);
    if (probeAt !== null)
      return hold(this.openDisposition(destination, probeAt, policy, batch), 'circuit');

    const grant = await this.acquire(destination, policy);
    if (!grant.granted) {
      metrics.throttled.inc(labels);
      return hold(
        { kind: 'retry', delayMs: grant.retryInMs, reason: 'request budget spent', counts: false },
        'budget',
      );
    }
    const sentAt = this.now();
    const guarded = await this.breakers
      .run(
        destination,
        policy.breaker,
        async () => {
          metrics.inFlight.start(labels);
          metrics.batchSize.observe(labels, batch.length);
          try {
            return await tracedSend(sink, batch, () =>
              withDeadline(this.options.requestTimeoutMs, (signal) => adapter.send(batch, signal)),
            );
          } finally {
            metrics.inFlight.end(labels);
          }
        },
        (verdicts) => verdicts.length > 0 && verdicts.every((v) => v.verdict.kind === 'retry'),
      )
      .finally(() => grant.release());
    circuit();
    const durationMs = guarded.kind === 'open' ? null : Math.max(0, this.now() - sentAt);
    if (durationMs !== null) {
      // A request sent: what it waited for at the gate, and for its answer.
      metrics.requestPhase.observe(sink, destination, 'gate', (sentAt - turnAt) / 1000);
      metrics.requestPhase.observe(sink, destination, 'answer', durationMs / 1000);
    }

    if (guarded.kind === 'open') {
      // Refused by the breaker itself: the probe this call waited for failed and opened it again.
      const probeAt =
        this.breakers.probeAt(destination) ?? this.now() + policy.breaker.halfOpenAfterMs;
      return hold(this.openDisposition(destination, probeAt, policy, batch), 'circuit');
    }
    const verdicts =
      guarded.kind === 'ran'
        ? new Map(guarded.result.map((v: LeadVerdict) => [v.leadId, v.verdict]))
        : new Map<string, DeliveryVerdict>();
    const thrown: DeliveryVerdict | null =
      guarded.kind === 'threw' ? { kind: 'retry', reason: errorMessage(guarded.error) } : null;

    const outputs: StageOutput[] = [];
    for (const task of batch) {
      const verdict = thrown ??
        verdicts.get(task.lead.lead.lead_id) ?? {
          kind: 'retry' as const,
          reason: `${adapter.type} adapter gave no verdict for the lead`,
        };
      await this.act(destination, verdict, policy);
      const now = this.now();
      const disposition = dispositionFor(verdict, {
        attempts: task.attempts,
        retryDelaysMs: policy.retryDelaysMs,
        fallback: task.fallbackFrom === undefined ? policy.fallback : null,
        longestDelayMs: longestDelayMs(this.options.topics.tiers),
        now,
      });
      const reason: RetryReason =
        verdict.kind === 'wait_for_quota'
          ? 'quota'
          : verdict.kind === 'stop'
            ? 'stopped'
            : 'attempt';
      outputs.push(
        ...(await this.settle(
          task,
          disposition,
          reason,
          answered(verdict, batch.length, durationMs),
          now,
        )),
      );
    }
    return outputs;
  }

  /** What a verdict does to the destination itself, for every instance: park it. */
  private async act(destination: string, verdict: DeliveryVerdict, policy: DestinationPolicy) {
    const now = this.now();
    const { metrics, sink } = this.options;
    if (verdict.kind === 'wait_for_quota') {
      const until = verdict.until ?? now + (policy.retryDelaysMs[0] ?? 0);
      await this.options.gate.park(destination, until);
      metrics.parkedUntil.set({ sink, destination, reason: 'quota' }, until / 1000);
    } else if (verdict.kind === 'stop') {
      metrics.stopped.inc({ sink, destination });
      this.options.logger.error(
        { destination, sink, alert: verdict.alert },
        'destination stopped until a person acts',
      );
      const until = now + longestDelayMs(this.options.topics.tiers);
      await this.options.gate.park(destination, until);
      metrics.parkedUntil.set({ sink, destination, reason: 'stopped' }, until / 1000);
    }
  }

  /** The hold of a batch the open circuit keeps back until `probeAt`, its next probe. */
  private openDisposition(
    destination: string,
    probeAt: number,
    policy: DestinationPolicy,
    batch: PendingTask<C>[],
  ) {
    const onFallback = batch[0]!.fallbackFrom !== undefined;
    return openCircuitDisposition({
      openForMs: this.breakers.openForMs(destination) ?? 0,
      fallbackAfterMs: policy.breaker.fallbackAfterMs,
      waitMs: probeAt - this.now(),
      fallback: onFallback ? null : policy.fallback,
    });
  }

  /** One request from the budget, waiting for it while the wait is short. */
  private async acquire(destination: string, policy: DestinationPolicy) {
    const deadline = this.now() + this.options.budgetWaitMs;
    for (;;) {
      const answer = await this.options.gate.acquire(destination, policy.budget);
      if (answer.granted || this.now() + answer.retryInMs > deadline) return answer;
      await this.sleep(answer.retryInMs);
    }
  }

  /**
   * The records for one task's disposition, with its metrics. `attempt`, the try or hold that
   * led to it, becomes the lead's DeliveryAttempt for the destination, produced with the rest.
   */
  private async settle(
    task: TaskRecord,
    disposition: Disposition,
    reason: RetryReason = 'attempt',
    attempt?: AttemptFacts,
    at: number = this.now(),
  ): Promise<StageOutput[]> {
    const { metrics, sink, topics, logger } = this.options;
    const labels = { sink, destination: task.destination.id };
    const leadId = task.lead.lead.lead_id;
    let fallbackDestination: Destination | undefined;
    if (disposition.kind === 'fallback') {
      const config = await this.options.resolveConfig(task.lead, disposition.to);
      if (config === undefined) {
        return this.settle(
          task,
          {
            kind: 'failed',
            code: UNKNOWN_DESTINATION,
            message: `its fallback ${disposition.to} is not a configured destination (${disposition.reason})`,
          },
          reason,
          attempt,
          at,
        );
      }
      fallbackDestination = fallbackFor(task, disposition.to, config);
    }
    const { outputs, outcome } = taskRecords({
      stage: sink,
      topics,
      task,
      disposition,
      ...(fallbackDestination ? { fallbackDestination } : {}),
      ...(attempt ? { attempt } : {}),
      now: at,
    });
    switch (disposition.kind) {
      case 'delivered':
        metrics.delivered.inc(labels);
        if (outcome) {
          metrics.speedToLead.observe(
            { source: task.lead.lead.source, destination: task.destination.id },
            outcome.speed_to_lead_ms / 1000,
          );
        }
        break;
      case 'failed':
        metrics.failed.inc(labels);
        logger.warn(
          {
            leadId,
            destination: task.destination.id,
            code: disposition.code,
            reason: disposition.message,
          },
          'delivery failed',
        );
        break;
      case 'retry':
        metrics.retried.inc({ ...labels, reason });
        break;
      case 'fallback':
        metrics.fellBack.inc(labels);
        logger.warn(
          {
            leadId,
            destination: task.destination.id,
            fallback: disposition.to,
            reason: disposition.reason,
          },
          'lead fell back',
        );
        break;
    }
    return outputs;
  }
}

/**
 * The fallback destination as the lead goes on to it: as the router resolved it for this lead
 * (with the owner the assigned member has there), when the lead carries it. A lead routed before
 * the router did so gets it from the configuration, and an owner only when the fallback is of the
 * same type (an owner id means something only in the system it came from).
 */
function fallbackFor(task: TaskRecord, to: string, config: CommonDestinationConfig): Destination {
  const routed = task.lead.fallbacks[task.destination.id];
  if (routed !== undefined && routed.id === to) return routed;
  const url = (config as { url?: unknown }).url;
  return {
    id: to,
    type: config.type,
    url: typeof url === 'string' ? url : null,
    owner_id: config.type === task.destination.type ? task.destination.owner_id : null,
  };
}

/** Runs the jobs with at most `limit` at once; answers their results in order. */
export async function runLimited<T>(
  jobs: readonly (() => Promise<T>)[],
  limit: number,
): Promise<T[]> {
  const results: T[] = new Array(jobs.length);
  let next = 0;
  const worker = async () => {
    while (next < jobs.length) {
      const i = next++;
      results[i] = await jobs[i]!();
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(limit, jobs.length)) }, worker));
  return results;
}

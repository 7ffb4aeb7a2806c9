import { ApiError, type ApiErrorBody } from './api-error';

/** Why a request was refused at the door: the label of `lead_router_ingest_shed_total`. */
export type ShedReason =
  'open_requests' | 'pending_leads' | 'kafka_unavailable' | 'event_loop_delay' | 'heap' | 'rss';

/** The work one ingest instance holds before it answers the excess 503 at once. */
export interface LoadLimits {
  /**
   * Off: every request waits its turn, however long, and each one waits out the ack timeout while
   * Kafka is down (the behaviour before shedding); only a disconnected producer is refused.
   */
  enabled: boolean;
  /** Lead requests received and not yet answered. */
  maxOpenRequests: number;
  /** Leads handed to the producer whose acknowledgement has not come back yet. */
  maxPendingLeads: number;
  /** Mean event-loop delay (ms) over the last sample; 0 is no limit. */
  maxEventLoopDelayMs: number;
  /** V8 heap in use (bytes); 0 is no limit. */
  maxHeapUsedBytes: number;
  /** Resident set size (bytes); 0 is no limit. */
  maxRssBytes: number;
  /** How often event-loop delay and memory are sampled (ms). */
  sampleIntervalMs: number;
  /** What an `overloaded` 503 tells the client to wait (seconds). */
  retryAfterSeconds: number;
}

/** How long a client should wait before retrying when Kafka cannot take the lead. */
export const KAFKA_RETRY_AFTER_SECONDS = 5;

export const RETRY_ADVICE = 'retry with the same Idempotency-Key';

const KAFKA_UNAVAILABLE = `the lead could not be stored right now; ${RETRY_ADVICE}`;

/** The 503 a lead request gets when Kafka did not acknowledge its lead within the ack timeout. */
export function kafkaUnavailable(cause?: unknown): ApiError {
  return new ApiError(
    503,
    'kafka_unavailable',
    KAFKA_UNAVAILABLE,
    undefined,
    { 'retry-after': String(KAFKA_RETRY_AFTER_SECONDS) },
    cause,
  );
}

/**
 * A request refused at the door: answered as it is, with no Error built (no stack captured), since
 * an overloaded instance may refuse thousands a second.
 */
export interface Refusal {
  reason: ShedReason;
  status: 503;
  headers: Record<string, string>;
  body: ApiErrorBody;
}

function refused(reason: ShedReason, code: string, message: string, retryAfter: number): Refusal {
  return {
    reason,
    status: 503,
    headers: { 'retry-after': String(retryAfter) },
    body: { error: { code, message } },
  };
}

/** The 503 for a request shed because the instance holds as much work as it may. */
export function overloaded(reason: ShedReason, detail: string, retryAfterSeconds: number): Refusal {
  const message = `ingest is overloaded (${detail}); nothing was stored, ${RETRY_ADVICE} in ${retryAfterSeconds} s`;
  return refused(reason, 'overloaded', message, retryAfterSeconds);
}

/** The process's latest sample (@fastify/under-pressure's `memoryUsage()`). */
export interface PressureSample {
  eventLoopDelay: number;
  heapUsed: number;
  rssBytes: number;
}

const MiB = 1048576;

/**
 * Counts the work ingest holds — lead requests open, leads awaiting Kafka's acknowledgement —
 * and says whether a new request must be refused before its body is read: over a limit on those,
 * or on the event-loop delay and memory that @fastify/under-pressure samples (load-shedding.ts).
 *
 * Kafka's health is read from the acknowledgements (kafkajs' producer stays "connected" while the
 * broker is gone): after a produce failed (ack timeout), one request at a time goes through as a
 * probe and the others are refused 503 kafka_unavailable at once, instead of each waiting out the
 * ack timeout; the first acknowledgement opens the door again.
 */
export class LoadGate {
  private open = 0;
  private pending = 0;
  private kafkaFailing = false;
  private probes = 0;

  constructor(
    readonly limits: LoadLimits,
    private readonly producer: { readonly isConnected: boolean },
  ) {}

  get openRequests(): number {
    return this.open;
  }

  get pendingLeads(): number {
    return this.pending;
  }

  /** Why a new lead request is refused now, or null to let it in. */
  refusal(sample?: PressureSample): Refusal | null {
    const { enabled } = this.limits;
    const probing = enabled && this.kafkaFailing && (this.probes > 0 || this.pending > 0);
    if (!this.producer.isConnected || probing) {
      const reason = 'kafka_unavailable';
      return refused(reason, reason, KAFKA_UNAVAILABLE, KAFKA_RETRY_AFTER_SECONDS);
    }
    if (!enabled) return null;
    const { maxOpenRequests, maxPendingLeads, retryAfterSeconds } = this.limits;
    const pressure = sample ? this.pressure(sample) : null;
    if (pressure !== null) return overloaded(pressure[0], pressure[1], retryAfterSeconds);
    if (this.open >= maxOpenRequests) {
      return overloaded(
        'open_requests',
        `${this.open} requests open, the limit is ${maxOpenRequests}`,
        retryAfterSeconds,
      );
    }
    if (this.pending >= maxPendingLeads) {
      return overloaded(
        'pending_leads',
        `${this.pending} leads awaiting Kafka's acknowledgement, the limit is ${maxPendingLeads}`,
        retryAfterSeconds,
      );
    }
    return null;
  }

  private pressure(sample: PressureSample): [ShedReason, string] | null {
    const { maxEventLoopDelayMs, maxHeapUsedBytes, maxRssBytes } = this.limits;
    if (maxEventLoopDelayMs > 0 && sample.eventLoopDelay > maxEventLoopDelayMs) {
      // under-pressure reports Infinity when the loop was blocked for the whole sample.
      const delay = Number.isFinite(sample.eventLoopDelay)
        ? `${Math.round(sample.eventLoopDelay)} ms`
        : 'longer than the sample';
      return [
        'event_loop_delay',
        `event loop delay ${delay}, the limit is ${maxEventLoopDelayMs} ms`,
      ];
    }
    if (maxHeapUsedBytes > 0 && sample.heapUsed > maxHeapUsedBytes) {
      const [used, max] = [sample.heapUsed / MiB, maxHeapUsedBytes / MiB].map(Math.round);
      return ['heap', `${used} MiB of heap in use, the limit is ${max} MiB`];
    }
    if (maxRssBytes > 0 && sample.rssBytes > maxRssBytes) {
      const [used, max] = [sample.rssBytes / MiB, maxRssBytes / MiB].map(Math.round);
      return ['rss', `${used} MiB resident, the limit is ${max} MiB`];
    }
    return null;
  }

  /**
   * Counts an admitted request as open (while Kafka is failing, as the one probe); the returned
   * function, which may be called more than once, closes it.
   */
  admit(): () => void {
    const probe = this.kafkaFailing;
    this.open++;
    if (probe) this.probes++;
    let closed = false;
    return () => {
      if (closed) return;
      closed = true;
      this.open--;
      if (probe) this.probes--;
    };
  }

  /** Counts `count` leads as pending while `publish` awaits Kafka's acknowledgement. */
  async track(count: number, publish: () => Promise<void>): Promise<void> {
    this.pending += count;
    try {
      await publish();
      this.kafkaFailing = false;
    } catch (err) {
      this.kafkaFailing = true;
      throw err;
    } finally {
      this.pending -= count;
    }
  }
}

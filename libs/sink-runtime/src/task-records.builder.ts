import { deliveryOutcome } from '@lead-router/delivery';
import {
  ATTEMPTS_HEADER,
  DESTINATION_HEADER,
  DUE_AT_HEADER,
  FALLBACK_FROM_HEADER,
  deadLetter,
  type SourceRecord,
  type StageOutput,
} from '@lead-router/kafka';
import { NO_TRACE_HEADERS, withTraceHeaders, type TraceHeaders } from '@lead-router/observability';
import type {
  AttemptNext,
  DeliveryAnswer,
  DeliveryAttempt,
  DeliveryOutcome,
  DeliveryStatus,
  Destination,
  RoutedLead,
} from '@lead-router/schemas';
import { tierFor, type RetryTier } from './retry-tier.selector';
import type { Disposition } from './verdict.disposition';

export interface SinkTopics {
  /** leads.routed: where a lead for a fallback destination goes. */
  routed: string;
  delivered: string;
  /** leads.attempts: one record per try or hold of a (lead, destination). */
  attempts: string;
  dlq: string;
  tiers: readonly RetryTier[];
}

/** A task as the layer tracks it: the lead, one destination, and the record it came from. */
export interface TaskRecord {
  lead: RoutedLead;
  destination: Destination;
  attempts: number;
  /** `deliveryIdFor(lead, destination)`, made with the task (see `DeliveryTask`). */
  deliveryId: string;
  fallbackFrom?: string;
  source: SourceRecord;
  /** The trace headers its records carry: its delivery span's, once it was sent. */
  trace?: TraceHeaders;
}

/**
 * What one try (or hold) of a task was, for its DeliveryAttempt record: the destination's answer
 * for the lead, or why no request was made.
 */
export interface AttemptFacts {
  answer: DeliveryAnswer;
  /** False for a hold: no request left the sink. */
  sent: boolean;
  httpStatus: number | null;
  message: string | null;
  externalId: string | null;
  /** The leads sent or held together for the destination, this one included. */
  batchSize: number;
  durationMs: number | null;
}

export interface TaskRecords {
  outputs: StageOutput[];
  /** The outcome written, if the disposition was final (or a fallback). */
  outcome: DeliveryOutcome | null;
}

/**
 * The records a disposition produces. Every (lead, destination) ends with exactly one outcome:
 * DELIVERED, FAILED (with a dead letter holding the original record and the destination's
 * message) or FELL_BACK (and the lead goes on to leads.routed for the fallback alone, which then
 * gets its own outcome). A retry writes no outcome: the lead moves to a retry tier with only this
 * destination, and ends there later.
 */
export function taskRecords(args: {
  stage: string;
  topics: SinkTopics;
  task: TaskRecord;
  disposition: Disposition;
  /** The fallback destination as it goes on the lead (for `fallback`). */
  fallbackDestination?: Destination;
  httpStatus?: number | null;
  /** The try or hold that led to the disposition: a DeliveryAttempt goes first when given. */
  attempt?: AttemptFacts;
  now: number;
}): TaskRecords {
  const records = traced(args.task, dispositionRecords(args));
  if (args.attempt === undefined) return records;
  const tier =
    args.disposition.kind === 'retry' ? tierFor(args.topics.tiers, args.disposition.delayMs) : null;
  const attempt = deliveryAttempt({ ...args, attempt: args.attempt, tier });
  return {
    ...records,
    outputs: [
      traced(args.task, { topic: args.topics.attempts, key: attempt.lead_id, value: attempt }),
      ...records.outputs,
    ],
  };
}

/**
 * Records with the task's trace headers: its delivery span's, or its source record's (the record's
 * span, or with tracing off its own `traceparent` passed on), so a retry, a fallback or a dead
 * letter stays in the lead's trace.
 */
function traced<T extends StageOutput | TaskRecords>(task: TaskRecord, records: T): T {
  const trace = task.trace ?? task.source.traceHeaders ?? NO_TRACE_HEADERS;
  if (trace === NO_TRACE_HEADERS) return records;
  const one = (o: StageOutput): StageOutput => ({
    ...o,
    headers: withTraceHeaders(trace, o.headers),
  });
  return 'outputs' in records
    ? { ...records, outputs: records.outputs.map(one) }
    : (one(records as StageOutput) as T);
}

const NEXT: Record<Disposition['kind'], AttemptNext> = {
  delivered: 'DONE',
  failed: 'DONE',
  retry: 'RETRY',
  fallback: 'FALLBACK',
};

/** The DeliveryAttempt record of one try or hold and what its disposition does next. */
export function deliveryAttempt(args: {
  task: TaskRecord;
  disposition: Disposition;
  attempt: AttemptFacts;
  /** The retry tier the lead waits on, for a `retry` disposition. */
  tier: RetryTier | null;
  now: number;
}): DeliveryAttempt {
  const { task, disposition, attempt: facts, tier, now } = args;
  return {
    lead_id: task.lead.lead.lead_id,
    source: task.lead.lead.source,
    destination_id: task.destination.id,
    destination_type: task.destination.type,
    attempt: task.attempts,
    answer: facts.answer,
    sent: facts.sent,
    http_status: facts.httpStatus,
    message: facts.message,
    external_id: facts.externalId,
    next: NEXT[disposition.kind],
    next_due_at: disposition.kind === 'retry' ? now + disposition.delayMs : null,
    retry_topic: tier?.topic ?? null,
    batch_size: facts.batchSize,
    duration_ms: facts.durationMs,
    at: now,
  };
}

function dispositionRecords(args: {
  stage: string;
  topics: SinkTopics;
  task: TaskRecord;
  disposition: Disposition;
  fallbackDestination?: Destination;
  httpStatus?: number | null;
  now: number;
}): TaskRecords {
  const { task, disposition, topics, now } = args;
  const leadId = task.lead.lead.lead_id;
  const outcome = (
    status: DeliveryStatus,
    extra: { externalId?: string | null; error?: string; httpStatus?: number },
  ) =>
    deliveryOutcome({
      routed: task.lead,
      destination: task.destination,
      deliveryId: task.deliveryId,
      status,
      attempts: task.attempts,
      httpStatus: extra.httpStatus ?? args.httpStatus ?? null,
      externalId: extra.externalId ?? null,
      error: extra.error ?? null,
      completedAt: now,
    });
  const out = (value: DeliveryOutcome): StageOutput => ({
    topic: topics.delivered,
    key: leadId,
    value,
  });
  const fallbackHeaders: Record<string, string> =
    task.fallbackFrom !== undefined ? { [FALLBACK_FROM_HEADER]: task.fallbackFrom } : {};

  switch (disposition.kind) {
    case 'delivered': {
      const o = outcome('DELIVERED', {
        externalId: disposition.crmId,
        ...(disposition.httpStatus !== undefined ? { httpStatus: disposition.httpStatus } : {}),
      });
      return { outputs: [out(o)], outcome: o };
    }
    case 'failed': {
      const error = `${task.destination.id}: ${disposition.message}`;
      const o = outcome('FAILED', {
        error,
        ...(disposition.httpStatus !== undefined ? { httpStatus: disposition.httpStatus } : {}),
      });
      const letter = deadLetter(
        args.stage,
        task.source,
        { code: disposition.code, error, attempts: task.attempts, leadId },
        now,
      );
      return {
        outputs: [out(o), { topic: topics.dlq, key: leadId, value: letter }],
        outcome: o,
      };
    }
    case 'retry': {
      const tier = tierFor(topics.tiers, disposition.delayMs);
      // lr-attempts is what has been tried so far: the next pass is one more when this counted.
      const tried = disposition.counts ? task.attempts : task.attempts - 1;
      return {
        outputs: [
          {
            topic: tier.topic,
            key: leadId,
            value: { ...task.lead, destinations: [task.destination] },
            headers: {
              ...fallbackHeaders,
              [ATTEMPTS_HEADER]: String(tried),
              [DESTINATION_HEADER]: task.destination.id,
              [DUE_AT_HEADER]: String(now + disposition.delayMs),
            },
          },
        ],
        outcome: null,
      };
    }
    case 'fallback': {
      const to = args.fallbackDestination;
      if (!to) throw new RangeError(`no fallback destination given for ${disposition.to}`);
      const o = outcome('FELL_BACK', { error: `fell back to ${to.id} ${disposition.reason}` });
      return {
        outputs: [
          out(o),
          {
            topic: topics.routed,
            key: leadId,
            value: { ...task.lead, destinations: [to] },
            headers: { [FALLBACK_FROM_HEADER]: task.destination.id },
          },
        ],
        outcome: o,
      };
    }
  }
}

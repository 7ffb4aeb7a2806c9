import type { LeadSpan, TraceHeaders } from '@lead-router/observability';
import type { DeadLetter } from '@lead-router/schemas';

export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
  /**
   * The trace headers of the records produced for this one (the runner puts them on a handler's
   * outputs; a stage that produces later, a sink's delivery outcomes, puts them on its own): the
   * record's span when tracing is on, else its own `traceparent` and `tracestate` passed on.
   */
  traceHeaders?: TraceHeaders;
  /** The record's span while tracing is on: the parent of spans a handler starts for it. */
  span?: LeadSpan;
}

/** A DLQ entry that keeps the original bytes, so the record can be inspected and replayed. */
export function deadLetter(
  stage: string,
  source: SourceRecord,
  failure: { code: string; error: string; attempts: number; leadId: string | null },
  now: number,
): DeadLetter {
  return {
    stage,
    topic: source.topic,
    partition: source.partition,
    offset: source.offset,
    key: source.key,
    value: source.value,
    headers: source.headers,
    lead_id: failure.leadId,
    error_code: failure.code,
    error: failure.error,
    attempts: failure.attempts,
    failed_at: now,
  };
}

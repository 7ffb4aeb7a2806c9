import type { DeadLetter } from '@lead-router/schemas';

export interface SourceRecord {
  topic: string;
  partition: number;
  offset: string;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
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

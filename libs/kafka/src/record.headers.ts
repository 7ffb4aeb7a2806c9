import type { IHeaders } from 'kafkajs';

/**
 * How many times a record has been processed so far. Absent on a record's first pass; a DLQ
 * replay sets it to the dead letter's attempts, so the next failure counts one more.
 */
export const ATTEMPTS_HEADER = 'lr-attempts';

/** kafkajs headers (buffers, strings, arrays of either) as one string per name. */
export function headersToStrings(headers: IHeaders | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, value] of Object.entries(headers ?? {})) {
    if (value === undefined) continue;
    out[name] = Array.isArray(value) ? value.map(String).join(',') : value.toString();
  }
  return out;
}

/**
 * The attempt that processing this record now makes: one more than its header says. A header
 * that is not a count is read as no attempts, so a bad header cannot make the record's dead
 * letter unencodable.
 */
export function attemptOf(headers: Readonly<Record<string, string>>): number {
  const raw = headers[ATTEMPTS_HEADER];
  const previous = raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : 0;
  return previous + 1;
}

/** `headers` with the attempts so far, for a record produced again (a DLQ replay). */
export function withAttempts(
  headers: Readonly<Record<string, string>>,
  attempts: number,
): Record<string, string> {
  return { ...headers, [ATTEMPTS_HEADER]: String(attempts) };
}

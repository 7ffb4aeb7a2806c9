import type { IHeaders } from 'kafkajs';

/**
 * How many times a record has been processed so far. Absent on a record's first pass; a DLQ
 * replay sets it to the dead letter's attempts, so the next failure counts one more.
 */
export const ATTEMPTS_HEADER = 'lr-attempts';

/**
 * When a record becomes due, in epoch milliseconds: a stage that gates by due time (a retry tier,
 * say) leaves the record in Kafka, its partition paused, until then.
 */
export const DUE_AT_HEADER = 'lr-due-at';

/** The one destination (by its name in the rule set) a record is meant for, on a retry topic. */
export const DESTINATION_HEADER = 'lr-destination';

/** The destination whose fallback this delivery is, when a lead was sent on to the fallback. */
export const FALLBACK_FROM_HEADER = 'lr-fallback-from';

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

/**
 * The record's due time in epoch milliseconds, or null when it has none. A header that is not a
 * count of milliseconds is read as none, so a bad header makes the record due now rather than
 * never.
 */
export function dueAtOf(headers: Readonly<Record<string, string>>): number | null {
  const raw = headers[DUE_AT_HEADER];
  if (raw === undefined || !/^\d+$/.test(raw)) return null;
  const dueAt = Number(raw);
  return Number.isSafeInteger(dueAt) ? dueAt : null;
}

/** `headers` with the record's due time (epoch milliseconds, rounded down to a whole one). */
export function withDueAt(
  headers: Readonly<Record<string, string>>,
  dueAt: number,
): Record<string, string> {
  if (!Number.isFinite(dueAt) || dueAt < 0) {
    throw new RangeError(`a due time is epoch milliseconds, not ${dueAt}`);
  }
  return { ...headers, [DUE_AT_HEADER]: String(Math.floor(dueAt)) };
}

/** The destination a record is meant for, or null when it names none (or an empty one). */
export function destinationOf(headers: Readonly<Record<string, string>>): string | null {
  return headers[DESTINATION_HEADER] || null;
}

/** `headers` naming the one destination the record is meant for. */
export function withDestination(
  headers: Readonly<Record<string, string>>,
  destination: string,
): Record<string, string> {
  return { ...headers, [DESTINATION_HEADER]: nonEmpty(destination, 'destination') };
}

/** The destination this delivery stands in for, or null when it is no fallback. */
export function fallbackFromOf(headers: Readonly<Record<string, string>>): string | null {
  return headers[FALLBACK_FROM_HEADER] || null;
}

/** `headers` saying the record goes to a fallback in place of `destination`. */
export function withFallbackFrom(
  headers: Readonly<Record<string, string>>,
  destination: string,
): Record<string, string> {
  return { ...headers, [FALLBACK_FROM_HEADER]: nonEmpty(destination, 'fallback-from destination') };
}

function nonEmpty(value: string, what: string): string {
  if (value === '') throw new RangeError(`a ${what} header needs a name`);
  return value;
}

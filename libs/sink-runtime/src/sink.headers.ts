/**
 * Headers the sink layer writes on the records it moves. The same names are being added to
 * @lead-router/kafka's record.headers.ts; these go once that lands.
 */
/** Epoch ms before which a retry-tier record must not be delivered. */
export const DUE_AT_HEADER = 'lr-due-at';
/** The one destination a retry-tier record is for. */
export const DESTINATION_HEADER = 'lr-destination';
/** On a lead sent to a fallback destination: the destination it fell back from. */
export const FALLBACK_FROM_HEADER = 'lr-fallback-from';

/** The due time a record carries, or null when it has none (or not a number). */
export function dueAtOf(headers: Readonly<Record<string, string>>): number | null {
  const raw = headers[DUE_AT_HEADER];
  return raw !== undefined && /^\d+$/.test(raw) ? Number(raw) : null;
}

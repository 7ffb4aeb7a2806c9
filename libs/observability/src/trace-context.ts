/**
 * W3C Trace Context (https://www.w3.org/TR/trace-context/) as Kafka record headers and HTTP
 * headers: the `traceparent` and `tracestate` a lead's records carry from hop to hop.
 */
export const TRACEPARENT_HEADER = 'traceparent';
export const TRACESTATE_HEADER = 'tracestate';

/** The trace headers of one record: none, or `traceparent` (with `tracestate` if it had one). */
export type TraceHeaders = Readonly<Record<string, string>>;

/** A record with no trace context; shared, so passing none through allocates nothing. */
export const NO_TRACE_HEADERS: TraceHeaders = Object.freeze({});

/** The W3C spec's own bound: 32 list members of at most 256 characters, less in practice. */
const MAX_TRACESTATE_LENGTH = 512;

const TRACEPARENT = /^([0-9a-f]{2})-([0-9a-f]{32})-([0-9a-f]{16})-([0-9a-f]{2})(-[^]*)?$/;
const ZEROS_32 = '0'.repeat(32);
const ZEROS_16 = '0'.repeat(16);

export interface TraceParent {
  traceId: string;
  parentId: string;
  sampled: boolean;
}

/**
 * A `traceparent` as the W3C spec reads it, or null when it is not one: version `ff`, an all-zero
 * trace or parent id, upper-case hex, or version 00 with anything after its flags. A later
 * version may carry more fields after the flags; the four known ones are read.
 */
export function parseTraceparent(value: string | undefined): TraceParent | null {
  if (value === undefined || value.length < 55) return null;
  const match = TRACEPARENT.exec(value);
  if (!match) return null;
  const [, version, traceId, parentId, flags, rest] = match;
  if (version === 'ff' || (version === '00' && rest !== undefined)) return null;
  if (traceId === ZEROS_32 || parentId === ZEROS_16) return null;
  return { traceId: traceId!, parentId: parentId!, sampled: (parseInt(flags!, 16) & 1) === 1 };
}

/**
 * A record's trace headers passed on unchanged: what a stage gives its outputs when tracing is off,
 * so a trace started upstream continues in a later process that traces. No parsing and, for a
 * record without one, no allocation: this runs once per record of every stage.
 */
export function traceHeadersOf(
  headers: Readonly<Record<string, string | undefined>>,
): TraceHeaders {
  const parent = headers[TRACEPARENT_HEADER];
  if (parent === undefined) return NO_TRACE_HEADERS;
  const state = headers[TRACESTATE_HEADER];
  return state === undefined
    ? { [TRACEPARENT_HEADER]: parent }
    : { [TRACEPARENT_HEADER]: parent, [TRACESTATE_HEADER]: state };
}

/**
 * The trace headers of an HTTP request, from whoever sent it: kept only when `traceparent` is
 * well-formed (a malformed one is ignored, as the spec says, and the lead starts its own trace
 * when tracing is on), `tracestate` only beside a valid `traceparent` and within the spec's length.
 */
export function httpTraceHeaders(
  headers: Readonly<Record<string, string | string[] | undefined>>,
): TraceHeaders {
  const parent = single(headers[TRACEPARENT_HEADER]);
  if (parent === undefined || parseTraceparent(parent) === null) return NO_TRACE_HEADERS;
  const raw = headers[TRACESTATE_HEADER];
  // tracestate may be split over several header lines, which join with commas.
  const state = Array.isArray(raw) ? raw.join(',') : raw;
  return state === undefined || state.length > MAX_TRACESTATE_LENGTH
    ? { [TRACEPARENT_HEADER]: parent }
    : { [TRACEPARENT_HEADER]: parent, [TRACESTATE_HEADER]: state };
}

/**
 * An output's headers with the trace headers under them: the output's own win. Without trace
 * headers the output's are returned as they are (the same object, or undefined).
 */
export function withTraceHeaders(
  trace: TraceHeaders,
  headers: Record<string, string> | undefined,
): Record<string, string> | undefined {
  if (trace === NO_TRACE_HEADERS || trace[TRACEPARENT_HEADER] === undefined) return headers;
  return headers === undefined ? { ...trace } : { ...trace, ...headers };
}

function single(value: string | string[] | undefined): string | undefined {
  // A repeated `traceparent` is ambiguous: the spec lets a receiver drop it.
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}

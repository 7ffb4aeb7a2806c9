import { LeadRouterError } from '@lead-router/errors';

/** One sample line of the Prometheus text exposition format. */
export interface MetricSample {
  /** The sample's own name: a histogram's `_bucket`, `_sum` and `_count` lines keep their suffix. */
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  /** `NaN`, `+Inf` and `-Inf` are read as the numbers they name. */
  readonly value: number;
}

export type MetricType = 'counter' | 'gauge' | 'histogram' | 'summary' | 'untyped';

export interface Exposition {
  readonly samples: readonly MetricSample[];
  /** Each metric family's `# TYPE`, by family name (a histogram's without `_bucket`). */
  readonly types: ReadonlyMap<string, MetricType>;
}

/** A /metrics body that is not the text exposition format; `line` is 1-based. */
export class ExpositionError extends LeadRouterError {
  constructor(
    message: string,
    readonly line: number,
  ) {
    super(`line ${line}: ${message}`, 'bad_exposition', { context: { line } });
  }
}

const NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*/;
const TYPES = new Set<MetricType>(['counter', 'gauge', 'histogram', 'summary', 'untyped']);

/**
 * A sample value as Go's strconv.ParseFloat (Prometheus' own reader) takes it: special values in
 * any case, since prom-client writes an empty gauge's NaN as `Nan`.
 */
function numberOf(text: string, line: number): number {
  switch (text.toLowerCase()) {
    case '+inf':
    case 'inf':
    case '+infinity':
    case 'infinity':
      return Infinity;
    case '-inf':
    case '-infinity':
      return -Infinity;
    case 'nan':
      return NaN;
  }
  const value = Number(text);
  if (text === '' || Number.isNaN(value)) throw new ExpositionError(`not a number: ${text}`, line);
  return value;
}

/** Reads `{a="x",b="y"}` from `text` at `start` (its `{`); returns the labels and the index after `}`. */
function labelsAt(
  text: string,
  start: number,
  line: number,
): { labels: Record<string, string>; end: number } {
  const labels: Record<string, string> = {};
  let i = start + 1;
  for (;;) {
    while (text[i] === ' ' || text[i] === ',') i++;
    if (text[i] === '}') return { labels, end: i + 1 };
    const name = LABEL_NAME.exec(text.slice(i))?.[0];
    if (name === undefined) throw new ExpositionError(`bad label name at column ${i + 1}`, line);
    i += name.length;
    while (text[i] === ' ') i++;
    if (text[i] !== '=' || text[i + 1] !== '"') {
      throw new ExpositionError(`expected ="…" after label ${name}`, line);
    }
    i += 2;
    let value = '';
    for (;;) {
      const c = text[i];
      if (c === undefined) throw new ExpositionError(`unterminated value of label ${name}`, line);
      i++;
      if (c === '"') break;
      if (c !== '\\') {
        value += c;
        continue;
      }
      const escaped = text[i++];
      value += escaped === 'n' ? '\n' : (escaped ?? '');
    }
    labels[name] = value;
  }
}

/**
 * Parses the Prometheus text exposition format (version 0.0.4, what prom-client writes): every
 * sample with its labels, and each family's `# TYPE`. A trailing timestamp is read and dropped.
 * Throws an ExpositionError naming the first line it cannot read.
 */
export function parseExposition(text: string): Exposition {
  const samples: MetricSample[] = [];
  const types = new Map<string, MetricType>();
  const lines = text.split('\n');
  for (let n = 0; n < lines.length; n++) {
    const line = lines[n]!.trim();
    if (line === '') continue;
    if (line.startsWith('#')) {
      const type = /^#\s*TYPE\s+(\S+)\s+(\S+)/.exec(line);
      if (type && TYPES.has(type[2] as MetricType)) types.set(type[1]!, type[2] as MetricType);
      continue;
    }
    const name = NAME.exec(line)?.[0];
    if (name === undefined) throw new ExpositionError('expected a metric name', n + 1);
    let rest = name.length;
    let labels: Record<string, string> = {};
    if (line[rest] === '{') ({ labels, end: rest } = labelsAt(line, rest, n + 1));
    const fields = line.slice(rest).trim().split(/\s+/);
    if (fields.length < 1 || fields.length > 2 || fields[0] === '') {
      throw new ExpositionError(`expected a value after ${name}`, n + 1);
    }
    samples.push({ name, labels, value: numberOf(fields[0]!, n + 1) });
  }
  return { samples, types };
}

/** Do the sample's labels include every one of `labels`? */
export function hasLabels(sample: MetricSample, labels: Readonly<Record<string, string>>): boolean {
  return Object.entries(labels).every(([k, v]) => sample.labels[k] === v);
}

/**
 * The sum of the samples named `name` whose labels include every one of `labels`
 * (e.g. `lead_router_records_total` with `{ topic }`); 0 when none matches.
 */
export function sumSamples(
  samples: readonly MetricSample[],
  name: string,
  labels: Readonly<Record<string, string>> = {},
): number {
  let sum = 0;
  for (const sample of samples) {
    if (sample.name === name && hasLabels(sample, labels)) sum += sample.value;
  }
  return sum;
}

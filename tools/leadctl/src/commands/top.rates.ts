import type { MetricSample } from '@lead-router/observability';

/**
 * How much a counter grew between two scrapes, as Prometheus' `rate()` reads it: a value below the
 * previous one means the process restarted and counted from 0 since, so all of it is new. A series
 * the previous scrape did not have is new too (prom-client writes a labelled series only once it
 * is first counted).
 */
export function counterIncrease(previous: number | undefined, current: number): number {
  if (previous === undefined || current < previous) return current;
  return current - previous;
}

/** A series' identity: its name and its labels, in name order. */
export function seriesKey(name: string, labels: Readonly<Record<string, string>>): string {
  const pairs = Object.keys(labels)
    .sort()
    .map((k) => `${k}=${JSON.stringify(labels[k])}`);
  return `${name}{${pairs.join(',')}}`;
}

/** Every sample of `name` in `current` with what it grew by since `previous`. */
export function increases(
  previous: readonly MetricSample[],
  current: readonly MetricSample[],
  name: string,
): { sample: MetricSample; increase: number }[] {
  const before = new Map<string, number>();
  for (const s of previous) if (s.name === name) before.set(seriesKey(s.name, s.labels), s.value);
  return current
    .filter((s) => s.name === name)
    .map((sample) => ({
      sample,
      increase: counterIncrease(before.get(seriesKey(sample.name, sample.labels)), sample.value),
    }));
}

/** A histogram's cumulative bucket: observations at or below `le`. */
export interface Bucket {
  readonly le: number;
  readonly count: number;
}

/** The labels of one histogram series: its bucket labels without `le`. */
const withoutLe = (labels: Readonly<Record<string, string>>): Record<string, string> => {
  const { le: _le, ...rest } = labels;
  return rest;
};

/**
 * The observations a histogram (`<name>_bucket` lines) gained between two scrapes, per series:
 * each bucket's increase, from the current counts alone when the series counted from 0 again
 * (any bucket or its `+Inf` fell), so a restart never yields negative buckets.
 */
export function histogramIncreases(
  previous: readonly MetricSample[],
  current: readonly MetricSample[],
  name: string,
): { labels: Record<string, string>; buckets: Bucket[] }[] {
  const series = (samples: readonly MetricSample[]) => {
    const out = new Map<string, { labels: Record<string, string>; buckets: Bucket[] }>();
    for (const s of samples) {
      if (s.name !== `${name}_bucket` || s.labels['le'] === undefined) continue;
      const labels = withoutLe(s.labels);
      const key = seriesKey(name, labels);
      const entry = out.get(key) ?? { labels, buckets: [] };
      entry.buckets.push({
        le: Number(s.labels['le'].replace(/^\+?Inf$/, 'Infinity')),
        count: s.value,
      });
      out.set(key, entry);
    }
    for (const entry of out.values()) entry.buckets.sort((a, b) => a.le - b.le);
    return out;
  };
  const before = series(previous);
  return [...series(current)].map(([key, { labels, buckets }]) => {
    const old = new Map((before.get(key)?.buckets ?? []).map((b) => [b.le, b.count]));
    const restarted = buckets.some((b) => b.count < (old.get(b.le) ?? 0));
    return {
      labels,
      buckets: buckets.map((b) => ({
        le: b.le,
        count: restarted ? b.count : b.count - (old.get(b.le) ?? 0),
      })),
    };
  });
}

/** Cumulative buckets of several series summed by their bound (as `sum by (le)` does). */
export function sumBuckets(series: readonly (readonly Bucket[])[]): Bucket[] {
  const byLe = new Map<number, number>();
  for (const buckets of series) {
    for (const b of buckets) byLe.set(b.le, (byLe.get(b.le) ?? 0) + b.count);
  }
  return [...byLe].map(([le, count]) => ({ le, count })).sort((a, b) => a.le - b.le);
}

/**
 * The q-quantile (0 ≤ q ≤ 1) of cumulative buckets, as PromQL's `histogram_quantile` estimates it:
 * the bucket holding the q·n-th observation, interpolated linearly within it (the first bucket
 * from 0); a rank in the `+Inf` bucket answers the highest finite bound. NaN without
 * observations or without a `+Inf` bucket.
 */
export function histogramQuantile(q: number, cumulative: readonly Bucket[]): number {
  if (q < 0) return -Infinity;
  if (q > 1) return Infinity;
  const buckets = [...cumulative].sort((a, b) => a.le - b.le);
  if (buckets.length < 2 || buckets[buckets.length - 1]!.le !== Infinity) return NaN;
  // Scrapes are not atomic across buckets: keep the counts monotonic, as Prometheus does.
  let highest = 0;
  const counts = buckets.map((b) => (highest = Math.max(highest, b.count)));
  const observations = counts[counts.length - 1]!;
  if (observations === 0) return NaN;
  const rank = q * observations;
  const b = counts.findIndex((c) => c >= rank);
  if (b === buckets.length - 1) return buckets[b - 1]!.le;
  const end = buckets[b]!.le;
  if (b === 0) return end <= 0 ? end : end * (rank / counts[0]!);
  const start = buckets[b - 1]!.le;
  const inBucket = counts[b]! - counts[b - 1]!;
  return start + (end - start) * ((rank - counts[b - 1]!) / inBucket);
}

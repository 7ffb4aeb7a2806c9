import { MetricNames, type MetricSample } from '@lead-router/observability';
import {
  type Bucket,
  histogramIncreases,
  histogramQuantile,
  increases,
  sumBuckets,
} from './top.rates';
import type { Target } from './top.targets';

/** One read of one target's /metrics: its samples, or why it did not answer. */
export interface Scrape {
  readonly target: Target;
  /** When the service answered (or the read failed), in ms since the epoch. */
  readonly at: number;
  readonly samples: readonly MetricSample[] | null;
  /** Why there are no samples: refused, timed out, HTTP status, unreadable body. */
  readonly error?: string;
}

/** A service's state in the frame. */
export interface ServiceRow {
  readonly name: string;
  readonly url: string;
  readonly up: boolean;
  readonly error?: string;
}

/** One stage (a consumer group, or ingest's door) of one service. */
export interface StageRow {
  readonly service: string;
  readonly stage: string;
  /** Records the stage handled a second over the window, every outcome; null when unknown. */
  readonly perSecond: number | null;
  /** Of those, dead-lettered. */
  readonly dlqPerSecond: number | null;
  /** Records behind on its input topics (summed over partitions), as of its last batch. */
  readonly lag: number | null;
  /** Seconds the lag holds at the window's rate; null when nothing was handled in the window. */
  readonly lagSeconds: number | null;
}

export interface LagRow {
  readonly service: string;
  readonly stage: string;
  readonly topic: string;
  readonly lag: number;
  /** How fast the lag grew (positive) or shrank over the window, records a second. */
  readonly change: number | null;
}

export interface SpeedRow {
  readonly source: string;
  readonly destination: string;
  /** Leads delivered a second over the window. */
  readonly perSecond: number;
  /** Seconds from capture to the destination's acknowledgement, estimated from the buckets. */
  readonly p50: number | null;
  readonly p99: number | null;
}

export interface DeadLetterRow {
  readonly service: string;
  readonly stage: string;
  /** The dead letter's error code; a sink's delivery that ended FAILED is `failed:<destination>`. */
  readonly code: string;
  /** Since the service started. */
  readonly total: number;
  readonly perSecond: number | null;
}

export interface Frame {
  readonly at: number;
  /** The time between the two scrapes the rates come from, in seconds. */
  readonly windowSeconds: number;
  readonly services: readonly ServiceRow[];
  readonly stages: readonly StageRow[];
  readonly lag: readonly LagRow[];
  /** One row per source and destination, then `*` → `*` over all of them when there are several. */
  readonly speedToLead: readonly SpeedRow[];
  readonly deadLetters: readonly DeadLetterRow[];
  /** Records written to leads.dlq since the services started, and a second over the window. */
  readonly dlqWritten: { readonly total: number; readonly perSecond: number | null };
}

/** The services whose refusals at the door are counted as errors, not as dead letters. */
const GATEWAY_STAGES = new Set(['ingest']);

const nameOf = (scrape: Scrape): string =>
  scrape.samples?.find((s) => s.labels['service'] !== undefined)?.labels['service'] ??
  scrape.target.name ??
  new URL(scrape.target.url).host;

const groupSum = <T>(
  items: readonly T[],
  keyOf: (item: T) => string,
  valueOf: (item: T) => number,
): Map<string, number> => {
  const out = new Map<string, number>();
  for (const item of items) out.set(keyOf(item), (out.get(keyOf(item)) ?? 0) + valueOf(item));
  return out;
};

const unprefixed = (topic: string, prefix: string): string =>
  prefix !== '' && topic.startsWith(prefix) ? topic.slice(prefix.length) : topic;

/** A sink's retry-tier stage is `<sink>:<tier topic>`: its topic is shown without the prefix. */
const stageName = (stage: string, prefix: string): string =>
  prefix === '' ? stage : stage.replace(`:${prefix}`, ':');

/**
 * Which scrapes are shown: an optional deployment that does not answer is not running, and while
 * it answers, the services it replaces are expected not to.
 */
function shown(scrapes: readonly Scrape[]): Scrape[] {
  const replaced = new Set(
    scrapes.filter((s) => s.samples !== null).flatMap((s) => s.target.replaces ?? []),
  );
  return scrapes.filter((s) =>
    s.target.replaces !== undefined
      ? s.samples !== null
      : !(s.samples === null && s.target.name !== null && replaced.has(s.target.name)),
  );
}

/**
 * The frame of two consecutive scrapes of the same targets (`previous[i]` and `current[i]` are of
 * one target): rates from the counters' increases over the window, lag from the current gauges,
 * speed-to-lead quantiles from the histogram's bucket increases. A target that did not answer
 * now is a service down; one that did not answer before has figures but no rates yet.
 */
export function buildFrame(
  previous: readonly Scrape[],
  current: readonly Scrape[],
  prefix = '',
): Frame {
  const pairs = shown(current).map((now) => {
    const before = previous.find((p) => p.target === now.target);
    const seconds = before ? (now.at - before.at) / 1000 : 0;
    return {
      name: nameOf(now),
      now,
      // Rates need both reads of the process; a window of 0 s has none either.
      before: before?.samples != null && seconds > 0 ? before.samples : null,
      seconds,
    };
  });

  const services: ServiceRow[] = pairs.map(({ name, now }) => ({
    name,
    url: now.target.url,
    up: now.samples !== null,
    ...(now.error !== undefined ? { error: now.error } : {}),
  }));

  const stages: StageRow[] = [];
  const lag: LagRow[] = [];
  const deadLetters: DeadLetterRow[] = [];
  const speed = new Map<
    string,
    { source: string; destination: string; buckets: Bucket[][]; seconds: number }
  >();
  let dlqTotal = 0;
  let dlqIncrease: number | null = 0;
  let dlqSeconds = 0;

  for (const { name, now, before, seconds } of pairs) {
    if (now.samples === null) continue;
    const rate = (increase: number) => (before === null ? null : increase / seconds);

    const records = increases(before ?? [], now.samples, MetricNames.records);
    const lagSamples = now.samples.filter((s) => s.name === MetricNames.consumerLag);
    const lagBefore = (before ?? []).filter((s) => s.name === MetricNames.consumerLag);
    const stageNames = [
      ...new Set(
        [...records, ...lagSamples.map((sample) => ({ sample }))].map(
          (r) => r.sample.labels['stage'] ?? '',
        ),
      ),
    ];
    for (const stage of stageNames) {
      const mine = records.filter((r) => r.sample.labels['stage'] === stage);
      const handled = mine.reduce((sum, r) => sum + r.increase, 0);
      const dead = mine
        .filter((r) => r.sample.labels['outcome'] === 'dlq')
        .reduce((sum, r) => sum + r.increase, 0);
      const stageLag = lagSamples.filter((s) => s.labels['stage'] === stage);
      const behind = stageLag.length === 0 ? null : stageLag.reduce((sum, s) => sum + s.value, 0);
      const perSecond = rate(handled);
      stages.push({
        service: name,
        stage: stageName(stage, prefix),
        perSecond,
        dlqPerSecond: rate(dead),
        lag: behind,
        lagSeconds:
          behind !== null && perSecond !== null && perSecond > 0 ? behind / perSecond : null,
      });
      const byTopic = groupSum(
        stageLag,
        (s) => s.labels['topic'] ?? '',
        (s) => s.value,
      );
      const byTopicBefore = groupSum(
        lagBefore.filter((s) => s.labels['stage'] === stage),
        (s) => s.labels['topic'] ?? '',
        (s) => s.value,
      );
      for (const [topic, value] of byTopic) {
        const old = byTopicBefore.get(topic);
        lag.push({
          service: name,
          stage: stageName(stage, prefix),
          topic: unprefixed(topic, prefix),
          lag: value,
          change: before === null || old === undefined ? null : (value - old) / seconds,
        });
      }
    }

    if (!GATEWAY_STAGES.has(name)) {
      for (const { sample, increase } of increases(before ?? [], now.samples, MetricNames.errors)) {
        deadLetters.push({
          service: name,
          stage: stageName(sample.labels['stage'] ?? '', prefix),
          code: sample.labels['code'] ?? '',
          total: sample.value,
          perSecond: rate(increase),
        });
      }
    }
    for (const { sample, increase } of increases(
      before ?? [],
      now.samples,
      MetricNames.sinkFailed,
    )) {
      deadLetters.push({
        service: name,
        stage: sample.labels['sink'] ?? name,
        code: `failed:${sample.labels['destination'] ?? ''}`,
        total: sample.value,
        perSecond: rate(increase),
      });
    }
    for (const { sample, increase } of increases(before ?? [], now.samples, MetricNames.produced)) {
      if (!unprefixed(sample.labels['topic'] ?? '', prefix).endsWith('leads.dlq')) continue;
      dlqTotal += sample.value;
      if (before === null) dlqIncrease = null;
      else if (dlqIncrease !== null) dlqIncrease += increase;
    }
    if (before !== null) dlqSeconds = Math.max(dlqSeconds, seconds);

    if (before !== null) {
      for (const { labels, buckets } of histogramIncreases(
        before,
        now.samples,
        MetricNames.speedToLead,
      )) {
        const source = labels['source'] ?? '';
        const destination = labels['destination'] ?? '';
        const key = `${source}\u0000${destination}`;
        const entry = speed.get(key) ?? { source, destination, buckets: [], seconds };
        entry.buckets.push(buckets);
        entry.seconds = Math.max(entry.seconds, seconds);
        speed.set(key, entry);
      }
    }
  }

  const speedRow = (
    source: string,
    destination: string,
    series: Bucket[][],
    seconds: number,
  ): SpeedRow => {
    const buckets = sumBuckets(series);
    const observations = buckets.find((b) => b.le === Infinity)?.count ?? 0;
    const quantile = (q: number) => (observations > 0 ? histogramQuantile(q, buckets) : null);
    return {
      source,
      destination,
      perSecond: observations / seconds,
      p50: quantile(0.5),
      p99: quantile(0.99),
    };
  };
  const speedToLead = [...speed.values()]
    .sort((a, b) => a.source.localeCompare(b.source) || a.destination.localeCompare(b.destination))
    .map((e) => speedRow(e.source, e.destination, e.buckets, e.seconds));
  if (speed.size > 1) {
    const all = [...speed.values()];
    speedToLead.push(
      speedRow(
        '*',
        '*',
        all.flatMap((e) => e.buckets),
        Math.max(...all.map((e) => e.seconds)),
      ),
    );
  }

  const windows = pairs.filter((p) => p.before !== null).map((p) => p.seconds);
  return {
    at: current.reduce((latest, s) => Math.max(latest, s.at), 0),
    windowSeconds: windows.length === 0 ? 0 : Math.max(...windows),
    services,
    stages,
    lag,
    speedToLead,
    deadLetters,
    dlqWritten: {
      total: dlqTotal,
      perSecond: dlqIncrease === null || dlqSeconds === 0 ? null : dlqIncrease / dlqSeconds,
    },
  };
}

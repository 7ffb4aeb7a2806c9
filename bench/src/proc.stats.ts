import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import os from 'node:os';
import { parseExposition, sumSamples } from '@lead-router/observability';
import type { TransactionPhase } from '@lead-router/kafka';

/** Peak resident set size (VmHWM) of a live process, in MB; undefined when it is gone. */
export function peakRssMb(pid: number): number | undefined {
  return statusField(pid, 'VmHWM');
}

export function rssMb(pid: number): number | undefined {
  return statusField(pid, 'VmRSS');
}

function statusField(pid: number, field: string): number | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : undefined;
  } catch {
    return undefined;
  }
}

/** CPU seconds (user + system) a process has used so far; 0 when it is gone. */
export function cpuSeconds(pid: number): number {
  // utime is field 14, stime field 15, in clock ticks (100 Hz)
  return (statField(pid, 14) + statField(pid, 15)) / 100;
}

/** Minor page faults a process has taken so far; 0 when it is gone. */
export function minorFaults(pid: number): number {
  return statField(pid, 10);
}

/** Field `n` (1-based, as in proc(5)) of /proc/<pid>/stat as a number; 0 when it is gone. */
function statField(pid: number, n: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
    // the text after the command's closing parenthesis starts at field 3 (state)
    return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[n - 3]);
  } catch {
    return 0;
  }
}

/** CPU seconds of named processes and of this process (`harness`), read at one instant. */
export interface CpuReading {
  /** performance.now() of the reading */
  at: number;
  seconds: Record<string, number>;
}

/** Reads the CPU of every named pid (/proc/<pid>/stat) and of this process (process.cpuUsage). */
export function readCpu(pids: ReadonlyMap<string, number>): CpuReading {
  const seconds: Record<string, number> = {};
  for (const [name, pid] of pids) seconds[name] = cpuSeconds(pid);
  const own = process.cpuUsage();
  seconds['harness'] = (own.user + own.system) / 1e6;
  return { at: performance.now(), seconds };
}

/**
 * CPU seconds each process used between two readings; a process missing from either (not
 * started yet, or gone: /proc reads 0) is left out rather than reported as negative.
 */
export function cpuBetween(before: CpuReading, after: CpuReading): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [name, end] of Object.entries(after.seconds)) {
    const start = before.seconds[name];
    if (start === undefined || end <= 0 || end < start) continue;
    out[name] = end - start;
  }
  return out;
}

/** The CPU seconds of all the processes of `cpu` (`cpuBetween`) together. */
export function cpuTotal(cpu: Readonly<Record<string, number>>): number {
  return Object.values(cpu).reduce((a, b) => a + b, 0);
}

/**
 * How many of the host's cores the processes of `cpu` (CPU seconds each, `cpuBetween`) kept busy
 * together over `seconds` of wall time: on this 2-core host, near 2 means the run was bound by the
 * cores whatever its offered rate.
 */
export function coresBusy(cpu: Readonly<Record<string, number>>, seconds: number): number {
  return cpuTotal(cpu) / Math.max(0.001, seconds);
}

/**
 * A process's main thread (a Node service's event loop) so far, in seconds: on a CPU, and
 * runnable but waiting for one (`/proc/<pid>/task/<pid>/schedstat`, from the scheduler's own
 * accounting); undefined when it is gone or the kernel keeps no schedstat.
 */
export function mainThreadSched(pid: number): EventLoopSched | undefined {
  try {
    const [onCpu, waiting] = readFileSync(`/proc/${pid}/task/${pid}/schedstat`, 'utf8')
      .trim()
      .split(' ')
      .map(Number);
    return onCpu === undefined || waiting === undefined || !Number.isFinite(waiting)
      ? undefined
      : { onCpu: onCpu / 1e9, waiting: waiting / 1e9 };
  } catch {
    return undefined;
  }
}

export interface EventLoopSched {
  /** seconds the thread ran on a CPU */
  onCpu: number;
  /** seconds it was runnable and waited for a CPU (a two-core host shared by many processes) */
  waiting: number;
}

/** The main threads of the named Node processes (not the JVMs): `mainThreadSched` of each. */
export function readEventLoopSched(
  pids: ReadonlyMap<string, number>,
): Record<string, EventLoopSched> {
  const out: Record<string, EventLoopSched> = {};
  for (const [name, pid] of pids) {
    let comm = '';
    try {
      comm = readFileSync(`/proc/${pid}/comm`, 'utf8').trim();
    } catch {
      continue;
    }
    const sched = comm === 'java' ? undefined : mainThreadSched(pid);
    if (sched) out[name] = sched;
  }
  return out;
}

/** What each main thread spent between two readings; one missing from either is left out. */
export function schedBetween(
  before: Record<string, EventLoopSched>,
  after: Record<string, EventLoopSched>,
): Record<string, EventLoopSched> {
  const out: Record<string, EventLoopSched> = {};
  for (const [name, end] of Object.entries(after)) {
    const start = before[name];
    if (start === undefined || end.onCpu < start.onCpu) continue;
    out[name] = { onCpu: end.onCpu - start.onCpu, waiting: end.waiting - start.waiting };
  }
  return out;
}

/**
 * The cumulative bucket counts (`le` → count) of a Prometheus histogram, summed over the series
 * whose labels include every given label.
 */
export function histogramBuckets(
  text: string,
  name: string,
  labels: Record<string, string> = {},
): Map<number, number> {
  const buckets = new Map<number, number>();
  for (const sample of samplesOf(text)) {
    if (sample.name !== `${name}_bucket`) continue;
    if (!Object.entries(labels).every(([k, v]) => sample.labels[k] === v)) continue;
    const le = sample.labels['le'];
    if (le === undefined || !Number.isFinite(sample.value)) continue;
    const bound = le === '+Inf' ? Infinity : Number(le);
    buckets.set(bound, (buckets.get(bound) ?? 0) + sample.value);
  }
  return buckets;
}

/**
 * The q-quantile (0..1) of what a histogram counted between two scrapes, as the upper bound of
 * the bucket it falls in (Prometheus' `histogram_quantile` interpolates; a bound is what the
 * buckets really say). NaN when nothing was counted.
 */
export function bucketQuantile(
  before: Map<number, number>,
  after: Map<number, number>,
  q: number,
): number {
  const bounds = [...after.keys()].sort((a, b) => a - b);
  const counts = bounds.map((b) => (after.get(b) ?? 0) - (before.get(b) ?? 0));
  const total = counts[counts.length - 1] ?? 0;
  if (total <= 0) return NaN;
  const rank = q * total;
  const i = counts.findIndex((c) => c >= rank);
  return bounds[i] ?? NaN;
}

/** Reads the `<dataDir>/pids.json` a local stack writes (name → pid of each JVM), if there. */
export function readStackPids(dataDir: string | undefined): Map<string, number> {
  if (dataDir === undefined || dataDir === '') return new Map();
  try {
    const list = JSON.parse(readFileSync(`${dataDir}/pids.json`, 'utf8')) as {
      name: string;
      pid: number;
    }[];
    return new Map(list.map((p) => [p.name, p.pid]));
  } catch {
    return new Map();
  }
}

export interface Machine {
  nproc: number;
  cpuModel: string;
  memoryGb: number;
  node: string;
  commit: string;
  dirty: boolean;
  loadAverage: number[];
}

export function machine(repoRoot: string): Machine {
  const git = (args: string[]): string => {
    try {
      return execFileSync('git', args, { cwd: repoRoot, encoding: 'utf8' }).trim();
    } catch {
      return 'unknown';
    }
  };
  return {
    nproc: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model ?? 'unknown',
    memoryGb: os.totalmem() / 1024 ** 3,
    node: process.version,
    commit: git(['rev-parse', '--short', 'HEAD']),
    dirty: git(['status', '--porcelain', '--untracked-files=no']) !== '',
    loadAverage: os.loadavg(),
  };
}

/**
 * Sums a Prometheus text-format metric's samples whose labels include every given label (a NaN
 * sample, such as a lag percentile before its first measurement, counts as nothing).
 */
export function sumMetric(text: string, name: string, labels: Record<string, string> = {}): number {
  const finite = samplesOf(text).filter((s) => Number.isFinite(s.value));
  return sumSamples(finite, name, labels);
}

/** The scrapes parsed last: a bench reads several metrics of one scrape, each parsed once. */
const parsedScrapes = new Map<string, ReturnType<typeof parseExposition>['samples']>();

function samplesOf(text: string): ReturnType<typeof parseExposition>['samples'] {
  let samples = parsedScrapes.get(text);
  if (samples === undefined) {
    samples = parseExposition(text).samples;
    parsedScrapes.set(text, samples);
    if (parsedScrapes.size > 32) parsedScrapes.delete(parsedScrapes.keys().next().value!);
  }
  return samples;
}

export async function scrape(url: string): Promise<string> {
  try {
    const res = await fetch(`${url}/metrics`, { signal: AbortSignal.timeout(2000) });
    return await res.text();
  } catch {
    return '';
  }
}

export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return NaN;
  const index = Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1));
  return sorted[index]!;
}

/** Speed-to-lead of one run: its leads from their slots to their arrivals (ms). */
export interface SlotLatencies {
  /** leads slotted after the warm-up, whose latency counts */
  counted: number;
  /** counted, but never arrived: their latency counts as ∞ */
  undelivered: number;
  p50: number;
  p99: number;
  p999: number;
  max: number;
}

/** The router's two exactly-once steps, by their stage names, and their transactions' phases. */
export const TRANSACTION_STEPS = ['router', 'router-assign'] as const;
export const TRANSACTION_PHASES = [
  'send',
  'offsets',
  'commit',
] as const satisfies readonly TransactionPhase[];

/** Each phase of the router's chunk transactions over a run, per step: ms, and how many. */
export type TransactionTimes = {
  step: (typeof TRANSACTION_STEPS)[number];
  phase: TransactionPhase;
  p50: number;
  p99: number;
  count: number;
}[];

/**
 * `match, 1,198 transactions: send ≤ 30 / ≤ 75, offsets …; assign, …` (p50 / p99 of each phase,
 * each figure written by `value`).
 */
export function describeTransactions(
  times: TransactionTimes,
  value: (ms: number) => string,
): string {
  return TRANSACTION_STEPS.map((step) => {
    const of = times.filter((t) => t.step === step);
    const count = (of[0]?.count ?? 0).toLocaleString('en-US');
    const phases = of.map((t) => `${t.phase} ${value(t.p50)} / ${value(t.p99)}`).join(', ');
    return `${step === 'router' ? 'match' : 'assign'}, ${count} transactions: ${phases}`;
  }).join('; ');
}

/** The phases of a sink's request (`lead_router_sink_request_phase_seconds`). */
export const SINK_REQUEST_PHASES = ['gate', 'answer'] as const;

/** Each phase of sink-webhook's requests over a run: ms, and how many requests. */
export type SinkRequestTimes = {
  phase: (typeof SINK_REQUEST_PHASES)[number];
  p50: number;
  p99: number;
  count: number;
}[];

/** `2,403 requests: gate ≤ 2 / ≤ 15, answer ≤ 8 / ≤ 50` (p50 / p99, each written by `value`). */
export function describeSinkRequests(
  times: SinkRequestTimes,
  value: (ms: number) => string,
): string {
  const count = (times[0]?.count ?? 0).toLocaleString('en-US');
  return `${count} requests: ${times.map((t) => `${t.phase} ${value(t.p50)} / ${value(t.p99)}`).join(', ')}`;
}

/**
 * `ingest 4.6 / 11.1 (2.4×), normalizer …`: each event loop's seconds on a CPU and waiting for one,
 * and how many times its CPU time it waited.
 */
export function describeEventLoops(loops: Record<string, EventLoopSched>): string {
  return Object.entries(loops)
    .map(
      ([name, l]) =>
        `${name} ${l.onCpu.toFixed(1)} / ${l.waiting.toFixed(1)} (${(l.waiting / Math.max(0.001, l.onCpu)).toFixed(1)}×)`,
    )
    .join(', ');
}

/** `n` of the items, evenly spread. */
export function sampleOf<T>(items: readonly T[], n: number): T[] {
  const step = Math.max(1, Math.floor(items.length / n));
  return items.filter((_, i) => i % step === 0).slice(0, n);
}

/** `SlotLatencies` of [slot, arrival] pairs (epoch ms; arrival undefined: never), from `countFrom` on. */
export function slotLatencies(
  leads: Iterable<readonly [slot: number, arrival: number | undefined]>,
  countFrom: number,
): SlotLatencies {
  const ms: number[] = [];
  let undelivered = 0;
  for (const [slot, arrival] of leads) {
    if (slot < countFrom) continue;
    if (arrival === undefined) undelivered++;
    ms.push(arrival === undefined ? Infinity : arrival - slot);
  }
  ms.sort((a, b) => a - b);
  return {
    counted: ms.length,
    undelivered,
    p50: percentile(ms, 50),
    p99: percentile(ms, 99),
    p999: percentile(ms, 99.9),
    max: ms[ms.length - 1] ?? NaN,
  };
}

/**
 * Open-model pacing: item i of `rate × seconds` is due at t0 + i/rate, and every millisecond the
 * items that came due are handed to `send` together (their due times, `performance.now()` ms),
 * whether or not earlier sends were answered, so a slow receiver shows as latency rather than
 * slowing the offered load. Answers once the last is handed over: t0 as epoch ms, and how late
 * each item left against its due time (ms, sorted).
 */
export async function openModel(
  opts: { rate: number; seconds: number },
  send: (due: readonly number[]) => void,
): Promise<{ startedAt: number; late: number[] }> {
  const total = Math.round(opts.rate * opts.seconds);
  const late: number[] = [];
  const t0 = performance.now();
  let handed = 0;
  await new Promise<void>((resolve) => {
    const tick = setInterval(() => {
      const now = performance.now();
      // Items 0..k are due once now ≥ t0 + k/rate: k + 1 of them (item 0 at t0 itself).
      const upTo = Math.min(total, Math.floor(((now - t0) / 1000) * opts.rate) + 1);
      const due: number[] = [];
      for (; handed < upTo; handed++) {
        const at = t0 + (handed * 1000) / opts.rate;
        late.push(now - at);
        due.push(at);
      }
      if (due.length > 0) send(due);
      if (handed >= total) {
        clearInterval(tick);
        resolve();
      }
    }, 1);
  });
  late.sort((a, b) => a - b);
  return { startedAt: performance.timeOrigin + t0, late };
}

export const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

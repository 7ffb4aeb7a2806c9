import { execFile, spawn, type ChildProcess } from 'node:child_process';
import { existsSync, readFileSync, readdirSync, realpathSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { promisify } from 'node:util';
import { ensureArtifacts, freePort } from '@lead-router/local-stack';
import { defaultJava } from './kafka-tools.part';

/**
 * The broker's own count of the requests it handled, by API, from its JMX metrics
 * (`kafka.network:type=RequestMetrics,name=RequestsPerSec,request=<api>,version=<v>`, the
 * `Count` attribute): what a lead costs the broker in requests, the inter-broker ones included
 * (WriteTxnMarkers, AddPartitionsToTxnVerification), which no client sees.
 */

/** Cumulative request counts by API (summed over versions) at one moment. */
export interface RequestCounts {
  /** epoch ms, the broker-side tool's stamp */
  at: number;
  counts: Map<string, number>;
}

/** Requests between two readings. */
export interface RequestMix {
  /** seconds between the two readings */
  seconds: number;
  /** requests by API, most first */
  byApi: [api: string, requests: number][];
  total: number;
  /**
   * The broker JVM's CPU seconds over the same span by thread, its threads grouped by name with
   * their numbers as N (`data-plane-kafka-request-handler-N`), most first; absent when the
   * threads could not be read.
   */
  threads?: [group: string, cpuSeconds: number][];
}

const METRIC =
  /^kafka\.network:type=RequestMetrics,name=RequestsPerSec,request=(\w+),version=\d+:Count=(\d+(?:\.\d+)?)$/;

/**
 * JmxTool's `--report-format properties` output: a `time=<ms>` line, then one line per metric.
 * `Fetch` and `FetchConsumer` name the same consumer fetches (FetchFollower the replicas'), so
 * `FetchConsumer` is dropped.
 */
export function parseRequestCounts(lines: Iterable<string>): RequestCounts[] {
  const out: RequestCounts[] = [];
  for (const raw of lines) {
    const line = raw.trim();
    if (line.startsWith('time=')) {
      out.push({ at: Number(line.slice(5)), counts: new Map() });
      continue;
    }
    const match = METRIC.exec(line);
    const current = out.at(-1);
    if (!match || current === undefined || match[1] === 'FetchConsumer') continue;
    const api = match[1]!;
    current.counts.set(api, (current.counts.get(api) ?? 0) + Number(match[2]));
  }
  return out.filter((r) => r.counts.size > 0);
}

/**
 * The requests from the last reading at or before `fromMs` to the first at or after `toMs` (the
 * readings come every second, so the span covers the window and up to a second each side);
 * undefined when the readings do not cover the window.
 */
export function requestsBetween(
  readings: readonly RequestCounts[],
  fromMs: number,
  toMs: number,
): RequestMix | undefined {
  const before = readings.filter((r) => r.at <= fromMs).at(-1);
  const after = readings.find((r) => r.at >= toMs);
  if (before === undefined || after === undefined) return undefined;
  const byApi: [string, number][] = [];
  for (const [api, count] of after.counts) {
    const n = count - (before.counts.get(api) ?? 0);
    if (n > 0) byApi.push([api, n]);
  }
  byApi.sort((a, b) => b[1] - a[1]);
  return {
    seconds: (after.at - before.at) / 1000,
    byApi,
    total: byApi.reduce((sum, [, n]) => sum + n, 0),
  };
}

/** CPU ticks (user + system, 100 a second) of each thread of a process at one moment. */
export interface ThreadTicks {
  /** epoch ms */
  at: number;
  ticks: Map<number, number>;
  /** the kernel's name of each thread (15 characters at most), for one gone before it is named */
  comm: Map<number, string>;
}

/** Reads /proc/<pid>/task/<tid>/stat of every thread; undefined when the process is gone. */
export function readThreadTicks(pid: number, at = Date.now()): ThreadTicks | undefined {
  const ticks = new Map<number, number>();
  const comm = new Map<number, string>();
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return undefined;
  }
  for (const tid of tids) {
    try {
      const stat = readFileSync(`/proc/${pid}/task/${tid}/stat`, 'utf8');
      const close = stat.lastIndexOf(')');
      // the fields after the name start at field 3 (state): utime is field 14, stime field 15
      const fields = stat.slice(close + 2).split(' ');
      ticks.set(Number(tid), Number(fields[11]) + Number(fields[12]));
      comm.set(Number(tid), stat.slice(stat.indexOf('(') + 1, close));
    } catch {
      // the thread ended between the listing and the read
    }
  }
  return { at, ticks, comm };
}

/**
 * The JVM's name of each of its threads by native id (`nid=0x…` in `jcmd <pid> Thread.print`,
 * the Java threads and the VM's own: GC, compiler, VM Thread).
 */
export function parseThreadNames(threadPrint: string): Map<number, string> {
  const names = new Map<number, string>();
  for (const match of threadPrint.matchAll(/^"([^"]+)".*\bnid=(0x[0-9a-f]+|\d+)/gm))
    names.set(Number(match[2]), match[1]!);
  return names;
}

/** A thread's name with its numbers as N, so a pool's threads count together. */
export function threadGroup(name: string): string {
  return name.replace(/\d+/g, 'N');
}

/**
 * CPU seconds by thread group from the last reading at or before `fromMs` to the first at or
 * after `toMs` (a thread started within the span counts from 0), most first; undefined when the
 * readings do not cover the span.
 */
export function threadCpuBetween(
  readings: readonly ThreadTicks[],
  names: ReadonlyMap<number, string>,
  fromMs: number,
  toMs: number,
): [string, number][] | undefined {
  const before = readings.filter((r) => r.at <= fromMs).at(-1);
  const after = readings.find((r) => r.at >= toMs);
  if (before === undefined || after === undefined) return undefined;
  const groups = new Map<string, number>();
  for (const [tid, end] of after.ticks) {
    const ticks = end - (before.ticks.get(tid) ?? 0);
    if (ticks <= 0) continue;
    const group = threadGroup(names.get(tid) ?? after.comm.get(tid) ?? String(tid));
    groups.set(group, (groups.get(group) ?? 0) + ticks / 100);
  }
  return [...groups].sort((a, b) => b[1] - a[1]);
}

/**
 * The share of the broker's CPU its JIT compiler threads took (`C1`/`C2 CompilerThread`): on a
 * stack that has not yet carried tens of minutes of load, C2 is still compiling Kafka's hot
 * paths, a third of the broker's CPU at 250 leads/s, and the broker's figures read high by that.
 */
export function compilerShare(threads: readonly [string, number][]): number {
  const total = threads.reduce((sum, [, s]) => sum + s, 0);
  const compiler = threads
    .filter(([group]) => /CompilerThread/.test(group))
    .reduce((sum, [, s]) => sum + s, 0);
  return total === 0 ? 0 : compiler / total;
}

/**
 * One line: the broker's CPU µs a lead by thread group, the `top` largest and the rest together
 * (where the broker's CPU goes: its network threads, request handlers, coordinators, GC, JIT).
 */
export function describeThreads(
  threads: readonly [string, number][],
  leads: number,
  top = 6,
): string {
  const micros = (s: number) => Math.round((s * 1e6) / Math.max(1, leads));
  const rest = threads.slice(top).reduce((sum, [, s]) => sum + s, 0);
  return [
    ...threads.slice(0, top).map(([group, s]) => `${group} ${micros(s)}`),
    ...(rest > 0 ? [`other threads ${micros(rest)}`] : []),
  ].join(', ');
}

/**
 * One line: requests a second, requests per lead by API, and the broker's CPU per request when
 * its CPU seconds over the same window are given.
 */
export function describeRequests(
  mix: RequestMix,
  leads: number,
  brokerCpuSeconds?: number,
): string {
  const perLead = (n: number) => (n / Math.max(1, leads)).toFixed(2);
  const cpu =
    brokerCpuSeconds === undefined || mix.total === 0
      ? ''
      : `; broker CPU ${Math.round((brokerCpuSeconds * 1e6) / mix.total)} µs a request`;
  return (
    `${Math.round(mix.total / mix.seconds).toLocaleString('en-US')} requests/s, ` +
    `${perLead(mix.total)} a lead (${mix.byApi.map(([api, n]) => `${api} ${perLead(n)}`).join(', ')})` +
    cpu
  );
}

/**
 * Reads the request counts of a running broker every second: starts the JVM's management agent
 * on a loopback port (`jcmd <pid> ManagementAgent.start`, or the one already started) and runs
 * Kafka's JmxTool against it until `close()`.
 */
export class BrokerRequests {
  private readonly readings: RequestCounts[] = [];
  /** the broker's threads' CPU, read every second beside the request counts */
  private readonly threadReadings: ThreadTicks[] = [];
  private readonly threadNames = new Map<number, string>();
  private readonly threadTimer: NodeJS.Timeout;

  private constructor(
    private readonly tool: ChildProcess,
    private readonly brokerPid: number,
    private readonly jcmd: string,
  ) {
    this.threadTimer = setInterval(() => this.readThreads(), 1_000).unref();
    this.readThreads();
    const lines: string[] = [];
    createInterface({ input: tool.stdout! }).on('line', (line) => {
      if (line.startsWith('time=') && lines.length > 0) {
        this.readings.push(...parseRequestCounts(lines));
        lines.length = 0;
      }
      lines.push(line);
    });
  }

  /** undefined, with the reason said, when the broker's JVM cannot be reached this way */
  static async attach(
    brokerPid: number,
    say: (msg: string) => void,
    java = defaultJava(),
  ): Promise<BrokerRequests | undefined> {
    try {
      // jcmd sits beside the real java binary (on PATH, java is usually a chain of symlinks)
      const jcmd = join(dirname(realpathSync(java === 'java' ? onPath('java') : java)), 'jcmd');
      const port = await agentPort(jcmd, brokerPid);
      const { kafkaLibs } = await ensureArtifacts();
      const tool = spawn(
        java,
        [
          '-Xms16m',
          '-Xmx64m',
          '-cp',
          `${kafkaLibs}/*`,
          'org.apache.kafka.tools.JmxTool',
          '--jmx-url',
          `service:jmx:rmi:///jndi/rmi://127.0.0.1:${port}/jmxrmi`,
          '--object-name',
          'kafka.network:type=RequestMetrics,name=RequestsPerSec,request=*,version=*',
          '--attributes',
          'Count',
          '--report-format',
          'properties',
          '--reporting-interval',
          '1000',
        ],
        { stdio: ['ignore', 'pipe', 'ignore'] },
      );
      const requests = new BrokerRequests(tool, brokerPid, jcmd);
      const deadline = Date.now() + 30_000;
      while (requests.readings.length === 0 && tool.exitCode === null && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 200));
      if (requests.readings.length === 0) {
        requests.close();
        say(`broker requests not counted: JmxTool gave no reading of pid ${brokerPid}`);
        return undefined;
      }
      return requests;
    } catch (err) {
      say(`broker requests not counted: ${(err as Error).message.split('\n')[0]}`);
      return undefined;
    }
  }

  /** The requests handled from `fromMs` to `toMs` (epoch ms); waits for the reading after `toMs`. */
  async between(fromMs: number, toMs: number): Promise<RequestMix | undefined> {
    const deadline = Date.now() + 5_000;
    while (
      (this.readings.at(-1)?.at ?? 0) < toMs &&
      this.tool.exitCode === null &&
      Date.now() < deadline
    )
      await new Promise((r) => setTimeout(r, 100));
    const mix = requestsBetween(this.readings, fromMs, toMs);
    if (mix === undefined) return undefined;
    this.readThreads();
    await this.nameThreads();
    const threads = threadCpuBetween(this.threadReadings, this.threadNames, fromMs, toMs);
    return threads === undefined ? mix : { ...mix, threads };
  }

  close(): void {
    clearInterval(this.threadTimer);
    this.tool.kill();
  }

  private readThreads(): void {
    const reading = readThreadTicks(this.brokerPid);
    if (reading !== undefined) this.threadReadings.push(reading);
  }

  /** Asks the JVM for the names of threads not named yet (one Thread.print, a safepoint). */
  private async nameThreads(): Promise<void> {
    const last = this.threadReadings.at(-1);
    if (last === undefined || [...last.ticks.keys()].every((tid) => this.threadNames.has(tid)))
      return;
    try {
      const { stdout } = await promisify(execFile)(
        this.jcmd,
        [String(this.brokerPid), 'Thread.print'],
        { maxBuffer: 16 * 1024 * 1024 },
      );
      for (const [tid, name] of parseThreadNames(stdout)) this.threadNames.set(tid, name);
    } catch {
      // unnamed threads keep the kernel's (shorter) name
    }
  }
}

/** The port of the JVM's management agent: the one it runs, or one started here. */
async function agentPort(jcmd: string, pid: number): Promise<number> {
  const run = promisify(execFile);
  const status = (await run(jcmd, [String(pid), 'ManagementAgent.status'])).stdout;
  const running = /com\.sun\.management\.jmxremote\.port = (\d+)/.exec(status);
  if (running) return Number(running[1]);
  const port = await freePort();
  const started = await run(jcmd, [
    String(pid),
    'ManagementAgent.start',
    `jmxremote.port=${port}`,
    `jmxremote.rmi.port=${port}`,
    'jmxremote.host=127.0.0.1',
    'jmxremote.authenticate=false',
    'jmxremote.ssl=false',
  ]);
  if (!/successfully/i.test(started.stdout))
    throw new Error(`jcmd ManagementAgent.start: ${started.stdout.trim()}`);
  return port;
}

function onPath(binary: string): string {
  for (const dir of (process.env['PATH'] ?? '').split(':'))
    if (existsSync(join(dir, binary))) return join(dir, binary);
  throw new Error(`${binary} is not on PATH`);
}

/**
 * "CPU per lead, all processes summed: at most half of what commit fa703b9 costs, both measured in
 * the same benchmark run on the same host" (issue 15): a build of the baseline commit in a cache
 * directory, and one lean harness that runs the same workload through it and through this tree.
 */
import { spawn } from 'node:child_process';
import {
  closeSync,
  createWriteStream,
  existsSync,
  mkdirSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { delimiter, dirname, join, resolve } from 'node:path';
import { randomBytes } from 'node:crypto';
import { Partitioners, type Kafka } from 'kafkajs';
import { parse, stringify } from 'yaml';
import type { RawLead } from '@lead-router/schemas';
import { rawLeads } from './lead.generator';
import {
  BENCH_WEBHOOK_BUDGET,
  preparePrefix,
  startBenchService,
  type BenchEnv,
  type Receiver,
} from './pipeline.part';
import { CpuAccount, cpuDelta, type CpuSource, type CpuUsage } from './cpu.accounting';

const repoRoot = resolve(__dirname, '..', '..');

/** The services a webhook lead passes from leads.raw to the receiver, in both builds. */
export const CPU_STAGES = ['normalizer', 'enricher', 'router', 'sink-webhook'] as const;
export type CpuStage = (typeof CPU_STAGES)[number];

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Where built baselines are kept: outside the repository, one folder per full commit hash. */
export function baselineCacheDir(): string {
  return process.env['LEAD_ROUTER_BENCH_CACHE'] ?? join(homedir(), '.cache', 'lead-router-bench');
}

function git(args: string[]): Promise<string> {
  return new Promise((done, fail) => {
    const child = spawn('git', args, { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('error', fail);
    child.once('exit', (code) =>
      code === 0
        ? done(out.trim())
        : fail(new Error(`git ${args.join(' ')} failed: ${err.trim()}`)),
    );
  });
}

/** Runs a command in `cwd` with this Node first on PATH, its output appended to `logFile`. */
function run(cmd: string, args: string[], cwd: string, logFile: string): Promise<void> {
  return new Promise((done, fail) => {
    const log = createWriteStream(logFile, { flags: 'a' });
    log.write(`\n$ ${cmd} ${args.join(' ')}\n`);
    const child = spawn(cmd, args, {
      cwd,
      env: {
        ...process.env,
        PATH: `${dirname(process.execPath)}${delimiter}${process.env['PATH']}`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout.pipe(log, { end: false });
    child.stderr.pipe(log, { end: false });
    child.once('error', fail);
    child.once('exit', (code) => {
      log.end();
      if (code === 0) done();
      else
        fail(new Error(`${cmd} ${args.join(' ')} exited with ${code} in ${cwd}; see ${logFile}`));
    });
  });
}

/** Reports `what` with its elapsed seconds every 5 s until `work` settles. */
async function withProgress<T>(
  what: string,
  work: Promise<T>,
  onProgress: (line: string) => void,
): Promise<T> {
  const t0 = Date.now();
  onProgress(what);
  const timer = setInterval(
    () => onProgress(`${what} (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
    5000,
  );
  try {
    return await work;
  } finally {
    clearInterval(timer);
  }
}

function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Takes `<dir>.lock` for this process, so two benches on one machine do not build one baseline at
 * once; waits while a live process holds it and takes over one a dead process left.
 */
async function lock(dir: string, onProgress: (line: string) => void): Promise<() => void> {
  const file = `${dir}.lock`;
  for (let waited = 0; ; waited++) {
    try {
      const fd = openSync(file, 'wx');
      writeSync(fd, String(process.pid));
      closeSync(fd);
      return () => rmSync(file, { force: true });
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const holder = Number(readFileSync(file, 'utf8'));
    if (!Number.isInteger(holder) || !pidAlive(holder)) {
      rmSync(file, { force: true });
      continue;
    }
    if (waited % 5 === 0) onProgress(`waiting for process ${holder} building ${dir}`);
    await sleep(1000);
  }
}

/**
 * A built git worktree of `commit` under baselineCacheDir()/<full hash>: `npm ci` and the commit's
 * own `npm run build`, once; later calls find the marker file and return at once. Returns the
 * worktree's root. The worktree is registered in this repository's .git (`git worktree list`)
 * and touches no tracked file.
 */
export async function prepareBaseline(
  commit = 'fa703b9',
  onProgress: (line: string) => void = () => undefined,
): Promise<string> {
  const sha = await git(['rev-parse', '--verify', `${commit}^{commit}`]);
  const cache = baselineCacheDir();
  const root = join(cache, sha);
  const marker = join(root, '.lead-router-bench-built');
  if (existsSync(marker)) return root;
  mkdirSync(cache, { recursive: true });
  const unlock = await lock(root, onProgress);
  try {
    if (existsSync(marker)) return root;
    const logFile = join(cache, `${sha}.log`);
    const short = sha.slice(0, 7);
    if (!existsSync(join(root, '.git'))) {
      rmSync(root, { recursive: true, force: true });
      await git(['worktree', 'prune']);
      await git(['worktree', 'add', '--detach', root, sha]);
    }
    await withProgress(
      `baseline ${short}: npm ci in ${root} (log: ${logFile})`,
      run('npm', ['ci', '--no-audit', '--no-fund', '--prefer-offline'], root, logFile),
      onProgress,
    );
    await withProgress(
      `baseline ${short}: npm run build (log: ${logFile})`,
      run('npm', ['run', 'build'], root, logFile),
      onProgress,
    );
    writeFileSync(marker, `${sha}\n`);
    return root;
  } finally {
    unlock();
  }
}

/** Options of cpuPerLeadComparison. */
export interface CpuComparisonOptions {
  brokers: string;
  registryUrl: string;
  /** the harness's Kafka client (topics are created and leads produced with it) */
  kafka: Kafka;
  /** the receiver every webhook destination of both rule sets points at */
  receiver: Receiver;
  /** the broker and registry to account, e.g. stackCpuSources(stack.dataDir); [] when external */
  stackSources: readonly CpuSource[];
  /** service logs and rule files go here */
  workDir: string;
  /** leads per measured run */
  leads: number;
  /** leads delivered before each run's measurement starts (consumers joined, JIT warm); 1,000 */
  warmupLeads?: number;
  /** baseline/current pairs, run alternately (baseline first in odd rounds, current first in even ones); 2 */
  rounds?: number;
  /** the baseline commit; 'fa703b9' */
  baselineCommit?: string;
  /** the root prepareBaseline() returned, when the caller prepared it already */
  baselineRoot?: string;
  /** how long one run may take from spawn to its last delivery; 900,000 ms */
  runTimeoutMs?: number;
  /** a run whose deliveries do not move for this long is given up (incomplete); 120,000 ms */
  stallMs?: number;
  /**
   * Set on every stage of both builds, over their bench's own env; by default a 120 s Kafka
   * session: on a 2-core host shared with other work (load 50-70) a 10 s session, and once a 45 s
   * one, expired while a stage waited for CPU, and the baseline's consumer then stops for good
   * ("the coordinator is not aware of this member"). Heartbeats stay every 3 s, so the CPU per
   * lead is the same.
   */
  serviceEnv?: Record<string, string>;
  onProgress?: (line: string) => void;
}

/** One build's run: the same leads, stages spawned on a fresh topic prefix. */
export interface CpuRun {
  build: 'baseline' | 'current';
  round: number;
  prefix: string;
  /** leads in the measured window (warm-up excluded) */
  leads: number;
  warmupLeads: number;
  /** distinct deliveries the receiver counted in the measured window */
  delivered: number;
  complete: boolean;
  /** why an incomplete run stopped (a stage exited, no delivery for a while, the timeout) */
  stopped?: string;
  /** from spawning the stages to every stage's /health answering 200 */
  startupSeconds: number;
  /**
   * The headline: from the first measured lead produced to the last one delivered, every process
   * (stages, broker, registry, receiver, harness), per measured lead.
   */
  steady: CpuUsage;
  /** from spawn to the last delivery, startup and warm-up included, per lead (warm-up counted) */
  fromSpawn: CpuUsage;
}

export interface BuildSummary {
  commit: string;
  /** steady µs per lead, all processes summed, of each of this build's complete runs */
  usPerLead: number[];
  medianUsPerLead: number;
  meanUsPerLead: number;
  /** steady µs per lead of each process, mean over the runs */
  processUsPerLead: Record<string, number>;
  /** from-spawn µs per lead, mean over the runs */
  fromSpawnUsPerLead: number;
}

export interface CpuComparison {
  leads: number;
  warmupLeads: number;
  runs: CpuRun[];
  baseline: BuildSummary;
  current: BuildSummary;
  /** current / baseline, of the medians (the target is ≤ 0.5) */
  ratio: number;
  /** current / baseline, of the means */
  ratioOfMeans: number;
  /** true when every run delivered every lead and the median ratio is at most 0.5 */
  met: boolean;
  /** processes missing from some run's accounting (the broker and registry of an external stack) */
  unaccounted: string[];
}

/** What a build must offer the harness: its own bench's prefix preparation and service start. */
interface BuildUnderTest {
  build: 'baseline' | 'current';
  commit: string;
  rulesFile: string;
  prepare(prefix: string): Promise<{ rawTopic: string; encode(lead: RawLead): Buffer }>;
  start(
    stage: CpuStage,
    prefix: string,
    env: Record<string, string>,
  ): Promise<{ pid: number; exited(): boolean; stop(): Promise<unknown> }>;
}

/** The shape of a build's bench/dist/pipeline.part.js and libs/schemas that the harness uses. */
interface BenchPart {
  preparePrefix(
    env: BenchEnv,
    prefix: string,
  ): Promise<{ encode(topic: string, value: unknown): Buffer }>;
  startBenchService(
    env: BenchEnv,
    name: string,
    prefix: string,
    extra: Record<string, string>,
  ): Promise<{ process: { pid?: number; exitCode: number | null }; stop(): Promise<unknown> }>;
}
interface SchemasPart {
  prefixedTopics(prefix: string): { topics: { raw: string } };
}

/**
 * A build's demo rule set with every webhook destination pointed at the receiver, and only the
 * rules and queues that reach webhooks kept: the same leads take the same route in both builds
 * (the current demo sends ANZ leads to Salesforce, the baseline's to the demo inbox).
 */
export function webhookOnlyRules(
  yamlText: string,
  receiverUrl: string,
  budget?: typeof BENCH_WEBHOOK_BUDGET,
): string {
  interface Destination {
    type: string;
    url?: string;
    budget?: typeof BENCH_WEBHOOK_BUDGET;
  }
  interface Rule {
    queue?: string;
    destinations?: string[];
  }
  interface Queue {
    when_unavailable?: { overflow?: string };
  }
  const doc = parse(yamlText) as {
    destinations: Record<string, Destination>;
    queues?: Record<string, Queue>;
    rules: Rule[];
    fallback?: Rule;
  };
  const webhooks = new Set(
    Object.entries(doc.destinations)
      .filter(([, d]) => d.type === 'webhook')
      .map(([id]) => id),
  );
  if (webhooks.size === 0) throw new Error('the demo rule set has no webhook destination');
  doc.destinations = Object.fromEntries(
    [...webhooks].map((id) => [
      id,
      { ...doc.destinations[id]!, url: `${receiverUrl}/inbox`, ...(budget ? { budget } : {}) },
    ]),
  );
  const toWebhooks = (r: Rule): boolean => (r.destinations ?? []).every((d) => webhooks.has(d));
  doc.rules = doc.rules.filter(toWebhooks);
  if (doc.fallback && !toWebhooks(doc.fallback)) {
    throw new Error('the demo rule set falls back to a destination other than a webhook');
  }
  if (doc.queues) {
    const used = new Set<string>();
    const use = (q: string | undefined): void => {
      if (q === undefined || used.has(q)) return;
      used.add(q);
      use(doc.queues?.[q]?.when_unavailable?.overflow);
    };
    for (const r of [...doc.rules, ...(doc.fallback ? [doc.fallback] : [])]) use(r.queue);
    doc.queues = Object.fromEntries(Object.entries(doc.queues).filter(([q]) => used.has(q)));
  }
  return stringify(doc);
}

/**
 * This tree's rules get the bench's webhook budget (the default one caps a webhook at ~1,000
 * requests/s); the baseline's rule schema has no budgets, and fa703b9 limited nothing.
 */
function writeRules(
  root: string,
  file: string,
  receiverUrl: string,
  budget?: typeof BENCH_WEBHOOK_BUDGET,
): string {
  const text = readFileSync(join(root, 'deploy', 'local', 'rules', 'demo.yaml'), 'utf8');
  writeFileSync(file, webhookOnlyRules(text, receiverUrl, budget));
  return file;
}

/**
 * Whether a build keeps a destination's `budget` (commits before the sinks' did not): its own
 * destination schema, loaded with `load` from its worktree, parses a webhook destination with one.
 */
function knowsBudgets(load: NodeJS.Require): boolean {
  let routing: {
    destinationSchema?: { safeParse(input: unknown): { success: boolean; data?: unknown } };
  };
  try {
    routing = load('@lead-router/routing') as typeof routing;
  } catch {
    return false;
  }
  const parsed = routing.destinationSchema?.safeParse({
    type: 'webhook',
    url: 'http://127.0.0.1:1/leads',
    budget: BENCH_WEBHOOK_BUDGET,
  });
  const data = parsed?.success ? (parsed.data as { budget?: unknown }) : undefined;
  return data?.budget !== undefined;
}

function benchEnv(opts: CpuComparisonOptions, root: string, rulesFile: string): BenchEnv {
  return {
    repoRoot: root,
    workDir: opts.workDir,
    brokers: opts.brokers,
    registryUrl: opts.registryUrl,
    rulesFile,
    receiverUrl: opts.receiver.url,
    kafka: opts.kafka,
  };
}

/** This tree, through this bench's own preparePrefix and startBenchService. */
function currentBuild(opts: CpuComparisonOptions, commit: string): BuildUnderTest {
  const rulesFile = writeRules(
    repoRoot,
    join(opts.workDir, 'rules-current.yaml'),
    opts.receiver.url,
    BENCH_WEBHOOK_BUDGET,
  );
  const env = benchEnv(opts, repoRoot, rulesFile);
  const part: BenchPart = {
    preparePrefix,
    startBenchService: startBenchService as BenchPart['startBenchService'],
  };
  const load = createRequire(join(repoRoot, 'bench', 'package.json'));
  return fromParts('current', commit, env, part, load('@lead-router/schemas') as SchemasPart);
}

/**
 * The baseline through its own bench's preparePrefix and startBenchService (its env, its
 * startService and node flags, its schemas), loaded from the worktree with its own node_modules.
 */
function baselineBuild(opts: CpuComparisonOptions, root: string, commit: string): BuildUnderTest {
  const load = createRequire(join(root, 'bench', 'package.json'));
  // A baseline whose sinks keep request budgets gets the same one as this tree: the default
  // webhook budget (1,000 requests a second) would pace its deliveries and charge it the idle
  // CPU of the longer run.
  const rulesFile = writeRules(
    root,
    join(opts.workDir, 'rules-baseline.yaml'),
    opts.receiver.url,
    knowsBudgets(load) ? BENCH_WEBHOOK_BUDGET : undefined,
  );
  const env = benchEnv(opts, root, rulesFile);
  const part = load(join(root, 'bench', 'dist', 'pipeline.part.js')) as BenchPart;
  return fromParts('baseline', commit, env, part, load('@lead-router/schemas') as SchemasPart);
}

function fromParts(
  build: CpuRun['build'],
  commit: string,
  env: BenchEnv,
  part: BenchPart,
  schemas: SchemasPart,
): BuildUnderTest {
  return {
    build,
    commit,
    rulesFile: env.rulesFile,
    prepare: async (prefix) => {
      const codec = await part.preparePrefix(env, prefix);
      const rawTopic = schemas.prefixedTopics(prefix).topics.raw;
      return { rawTopic, encode: (lead) => codec.encode(rawTopic, lead) };
    },
    start: async (stage, prefix, extra) => {
      const service = await part.startBenchService(env, stage, prefix, extra);
      const pid = service.process.pid;
      if (pid === undefined) throw new Error(`${build} ${stage} has no pid`);
      return { pid, exited: () => service.process.exitCode !== null, stop: () => service.stop() };
    },
  };
}

/** Produces `count` leads in batches of 1,000, one batch in flight: the same for both builds. */
async function produce(
  kafka: Kafka,
  topic: string,
  encode: (lead: RawLead) => Buffer,
  next: () => RawLead,
  count: number,
): Promise<void> {
  const producer = kafka.producer({
    allowAutoTopicCreation: false,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  try {
    for (let sent = 0; sent < count;) {
      const n = Math.min(1000, count - sent);
      const messages = Array.from({ length: n }, () => {
        const lead = next();
        return { key: lead.lead_id, value: encode(lead) };
      });
      await producer.send({ topic, messages, acks: -1 });
      sent += n;
    }
  } finally {
    await producer.disconnect();
  }
}

/**
 * Polls the receiver until `target` distinct deliveries, the deadline, a stage's exit, or `stallMs`
 * without a new delivery; returns the count and why it stopped short, if it did.
 */
async function waitForDeliveries(
  receiver: Receiver,
  target: number,
  limits: { deadline: number; stallMs: number; exited: () => string | undefined },
  what: string,
  onProgress: (line: string) => void,
): Promise<{ distinct: number; stopped?: string }> {
  const t0 = performance.now();
  let lastSaid = t0;
  let last = -1;
  let movedAt = t0;
  for (;;) {
    const { distinct } = await receiver.stats();
    const now = performance.now();
    if (distinct !== last) [last, movedAt] = [distinct, now];
    if (distinct >= target) return { distinct };
    const exited = limits.exited();
    if (exited !== undefined) return { distinct, stopped: `${exited} exited` };
    if (now > limits.deadline) return { distinct, stopped: 'the run timed out' };
    if (now - movedAt > limits.stallMs) {
      return { distinct, stopped: `no delivery for ${(limits.stallMs / 1000).toFixed(0)} s` };
    }
    if (now - lastSaid >= 5000) {
      lastSaid = performance.now();
      onProgress(
        `${what}: ${distinct.toLocaleString('en-US')}/${target.toLocaleString('en-US')} delivered ` +
          `(${((lastSaid - t0) / 1000).toFixed(0)} s)`,
      );
    }
    await sleep(200);
  }
}

async function measureRun(
  build: BuildUnderTest,
  round: number,
  opts: CpuComparisonOptions,
  leads: number,
  warmupLeads: number,
): Promise<CpuRun> {
  const say = opts.onProgress ?? (() => undefined);
  const prefix = `cpu-${randomBytes(3).toString('hex')}-${build.build}${round}.`;
  const what = `${build.build} ${build.commit.slice(0, 7)} run ${round}`;
  const { rawTopic, encode } = await build.prepare(prefix);
  const next = rawLeads(1000 + round, 'bench-cpu');
  await opts.receiver.reset();
  const account = new CpuAccount([
    { name: 'harness', self: true },
    { name: 'receiver', pid: opts.receiver.child.pid! },
    ...opts.stackSources,
  ]);
  const spawned = account.snapshot();
  const limits = {
    deadline: spawned.at + (opts.runTimeoutMs ?? 900_000),
    stallMs: opts.stallMs ?? 120_000,
    exited: () => CPU_STAGES.find((_, i) => services[i]?.exited()),
  };
  say(`${what}: spawning ${CPU_STAGES.join(', ')} on ${prefix}, one after the other`);
  const serviceEnv = opts.serviceEnv ?? { KAFKA_SESSION_TIMEOUT_MS: '120000' };
  const services: Awaited<ReturnType<BuildUnderTest['start']>>[] = [];
  try {
    // One at a time: four Nest boots at once on a loaded 2-core host outlast the health timeout.
    for (const stage of CPU_STAGES) {
      try {
        services.push(await build.start(stage, prefix, serviceEnv));
      } catch (err) {
        const stopped = `${stage} did not start: ${err instanceof Error ? err.message : String(err)}`;
        say(`${what}: given up, ${stopped}`);
        const usage = cpuDelta(spawned, account.snapshot(), leads);
        return {
          build: build.build,
          round,
          prefix,
          leads,
          warmupLeads,
          delivered: 0,
          complete: false,
          stopped,
          startupSeconds: usage.wallSeconds,
          steady: usage,
          fromSpawn: usage,
        };
      }
      account.add({ name: stage, pid: services[services.length - 1]!.pid });
    }
    const startupSeconds = (performance.now() - spawned.at) / 1000;
    await produce(opts.kafka, rawTopic, encode, next, warmupLeads);
    const warmed = await waitForDeliveries(
      opts.receiver,
      warmupLeads,
      limits,
      `${what} warm-up`,
      say,
    );
    const before = account.snapshot();
    if (warmed.stopped === undefined) await produce(opts.kafka, rawTopic, encode, next, leads);
    const done =
      warmed.stopped === undefined
        ? await waitForDeliveries(opts.receiver, warmupLeads + leads, limits, what, say)
        : warmed;
    const total = done.distinct;
    const after = account.snapshot();
    const run: CpuRun = {
      build: build.build,
      round,
      prefix,
      leads,
      warmupLeads,
      delivered: Math.max(0, total - warmupLeads),
      complete: total >= warmupLeads + leads,
      ...(done.stopped !== undefined ? { stopped: done.stopped } : {}),
      startupSeconds,
      steady: cpuDelta(before, after, leads),
      fromSpawn: cpuDelta(spawned, after, leads + warmupLeads),
    };
    if (done.stopped !== undefined)
      say(`${what}: given up, ${done.stopped}; see ${opts.workDir}/logs`);
    say(
      `${what}: ${run.delivered}/${leads} delivered in ${run.steady.wallSeconds.toFixed(1)} s, ` +
        `${run.steady.totalUsPerLead.toFixed(0)} µs CPU per lead (all processes)`,
    );
    return run;
  } finally {
    await Promise.all(services.map((s) => s.stop()));
  }
}

const median = (xs: readonly number[]): number => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const mid = Math.floor(s.length / 2);
  return s.length % 2 === 1 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
};
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;

/** A build's figures over its complete runs (NaN when none completed). */
function summarize(commit: string, all: readonly CpuRun[]): BuildSummary {
  const runs = all.filter((r) => r.complete);
  const usPerLead = runs.map((r) => r.steady.totalUsPerLead);
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.steady.usPerLead)))];
  return {
    commit,
    usPerLead,
    medianUsPerLead: median(usPerLead),
    meanUsPerLead: mean(usPerLead),
    processUsPerLead: Object.fromEntries(
      names.map((n) => [n, mean(runs.map((r) => r.steady.usPerLead[n] ?? NaN))]),
    ),
    fromSpawnUsPerLead: mean(runs.map((r) => r.fromSpawn.totalUsPerLead)),
  };
}

/**
 * CPU per lead of the baseline commit and of this tree, measured one after the other in the same
 * process on the same stack: baseline, current, current, baseline, … (`rounds` pairs, the order
 * reversed every other round, so a host or broker that gets faster or slower over the run favours
 * neither build; an even number of rounds balances it), each on a
 * fresh topic prefix with its own build's topics, schemas, services and demo rules (webhook routes
 * only, all to `receiver`). Each run spawns normalizer, enricher, router and sink-webhook, delivers
 * `warmupLeads` first, then produces `leads` more and accounts every process's CPU from the first
 * of those produced to the last delivered.
 */
export async function cpuPerLeadComparison(opts: CpuComparisonOptions): Promise<CpuComparison> {
  const say = opts.onProgress ?? (() => undefined);
  const commit = opts.baselineCommit ?? 'fa703b9';
  const baselineSha = await git(['rev-parse', '--verify', `${commit}^{commit}`]);
  const currentSha = await git(['rev-parse', 'HEAD']);
  const root = opts.baselineRoot ?? (await prepareBaseline(commit, say));
  const warmupLeads = opts.warmupLeads ?? 1000;
  const builds = [baselineBuild(opts, root, baselineSha), currentBuild(opts, currentSha)];
  const runs: CpuRun[] = [];
  for (let round = 1; round <= (opts.rounds ?? 2); round++) {
    const order = round % 2 === 1 ? builds : [...builds].reverse();
    for (const build of order)
      runs.push(await measureRun(build, round, opts, opts.leads, warmupLeads));
  }
  const baseline = summarize(
    baselineSha,
    runs.filter((r) => r.build === 'baseline'),
  );
  const current = summarize(
    currentSha,
    runs.filter((r) => r.build === 'current'),
  );
  const ratio = current.medianUsPerLead / baseline.medianUsPerLead;
  return {
    leads: opts.leads,
    warmupLeads,
    runs,
    baseline,
    current,
    ratio,
    ratioOfMeans: current.meanUsPerLead / baseline.meanUsPerLead,
    met: runs.every((r) => r.complete) && ratio <= 0.5,
    unaccounted: [
      ...new Set(runs.flatMap((r) => r.steady.gone)),
      ...(opts.stackSources.length === 0 ? ['the broker and registry of an external stack'] : []),
    ],
  };
}

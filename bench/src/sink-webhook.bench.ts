/**
 * A focused bench of one sink-webhook process (issue 15, points 2 and 4): N routed leads to one
 * webhook destination on a prefix's leads.routed, one sink-webhook, the bench receiver answering
 * every POST 200. It reports the sink's CPU per delivery (from /proc, between the first lead's
 * outcome and the last one's), its peak RSS (VmHWM), the delivery rate and the commands it sent
 * Redis per delivery (INFO commandstats, the budget's and the parking's).
 *
 * Builds can be compared in one run: BENCH_WEBHOOK_BUILDS lists `label=root` pairs, each root a
 * tree with the built `services/sink-webhook/dist` and `node_modules/@lead-router/*` beside it
 * (the repository itself, or a copy of an earlier build). The runs alternate between the builds,
 * so the machine's drift falls on each alike. A build may add Node flags after a `|`
 * (`BENCH_WEBHOOK_BUILDS='plain=.,fixed=.|--min-semi-space-size=16'`), to weigh a runtime
 * setting on one tree.
 *
 *   node bench/dist/sink-webhook.bench.js
 *   BENCH_WEBHOOK_BUILDS=before=/tmp/before,after=. BENCH_WEBHOOK_RUNS=3 \
 *     BENCH_WEBHOOK_LEADS=20000 node bench/dist/sink-webhook.bench.js
 *
 * BENCH_WEBHOOK_BUDGET (`requests/seconds`, e.g. `1000000/1`) replaces the webhook type's default
 * budget (10,000 requests per 10 s), which otherwise caps a run at about 1,000 deliveries a second.
 *
 * BENCH_WEBHOOK_PROFILE names a build whose first run is profiled (V8's sampling profiler, from the
 * warm-up lead's outcome to the last lead's); its top self times are printed after the run, and
 * that run's figures carry the profiler's own cost, so compare builds on the other runs.
 *
 * BENCH_WEBHOOK_RATE paces the leads (leads/s, open model) instead of producing them up front;
 * the speed-to-lead of the outcomes is reported then. Uses KAFKA_BROKERS and SCHEMA_REGISTRY_URL
 * when both are set, else starts a local stack; needs Redis (REDIS_URL).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { createWriteStream, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import Redis from 'ioredis';
import { BatchingProducer } from '@lead-router/kafka';
import { SERVICE_NODE_FLAGS, freePort, waitFor } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import { serviceEntry, type RoutedLead } from '@lead-router/schemas';
import { benchKafka, benchStack } from './bench.stack';
import { printProfile, profilerEnv, waitForProfile } from './cpu-profile';
import {
  BENCH_WEBHOOK_SECRET,
  benchServiceEnv,
  preparePrefix,
  startReceiver,
  type BenchEnv,
  type Receiver,
} from './pipeline.part';
import {
  cpuSeconds,
  machine,
  minorFaults,
  peakRssMb,
  percentile,
  rssMb,
  scrape,
  sleep,
  sumMetric,
} from './proc.stats';
import {
  DESTINATION,
  collectOutcomes,
  produceRouted,
  routedLead,
  sinksRulesYaml,
  waitWithProgress,
  writeRules,
  envNumber,
} from './sinks.part';

const repoRoot = resolve(__dirname, '..', '..');

const config = {
  leads: envNumber('BENCH_WEBHOOK_LEADS', 20_000),
  runs: envNumber('BENCH_WEBHOOK_RUNS', 1),
  rate: envNumber('BENCH_WEBHOOK_RATE', 0),
  /** `requests/seconds`: the destination's budget; the webhook type's default when unset. */
  budget: budgetOf(process.env['BENCH_WEBHOOK_BUDGET']),
  builds: parseBuilds(process.env['BENCH_WEBHOOK_BUILDS'] ?? `current=${repoRoot}`),
  /** The build whose first run is profiled, if any. */
  profile: process.env['BENCH_WEBHOOK_PROFILE'],
  /** Extra environment for the sink, `KEY=value` pairs separated by commas. */
  sinkEnv: Object.fromEntries(
    (process.env['BENCH_WEBHOOK_SINK_ENV'] ?? '')
      .split(',')
      .filter((kv) => kv.includes('='))
      .map((kv) => [kv.slice(0, kv.indexOf('=')), kv.slice(kv.indexOf('=') + 1)]),
  ) as Record<string, string>,
};

function budgetOf(spec: string | undefined): { requests: number; per_seconds: number } | undefined {
  if (spec === undefined || spec === '') return undefined;
  const [requests, seconds] = spec.split('/').map(Number);
  if (!(requests! > 0 && seconds! > 0))
    throw new RangeError(`BENCH_WEBHOOK_BUDGET: expected requests/seconds, got ${spec}`);
  return { requests: requests!, per_seconds: seconds! };
}

interface Build {
  label: string;
  root: string;
  /** Node flags after SERVICE_NODE_FLAGS (a later V8 flag wins). */
  nodeFlags: string[];
}

function parseBuilds(spec: string): Build[] {
  return spec.split(',').map((pair) => {
    const at = pair.indexOf('=');
    if (at <= 0) throw new RangeError(`BENCH_WEBHOOK_BUILDS: expected label=root, got ${pair}`);
    const [root, flags = ''] = pair.slice(at + 1).split('|');
    return {
      label: pair.slice(0, at),
      root: resolve(root!),
      nodeFlags: flags.split(' ').filter((f) => f !== ''),
    };
  });
}

const say = (msg: string): void => {
  process.stdout.write(`[bench:sink-webhook ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

interface Sink {
  child: ChildProcess;
  url: string;
  stop(): Promise<void>;
}

/** One sink-webhook from a build's root, with the bench's settings, healthy. */
async function startSink(
  env: BenchEnv,
  build: Build,
  prefix: string,
  rulesFile: string,
  logFile: string,
  profile: string | undefined,
): Promise<Sink> {
  const port = await freePort();
  const { entry, healthPath } = serviceEntry('sink-webhook');
  const child = spawn(
    process.execPath,
    [...SERVICE_NODE_FLAGS, ...build.nodeFlags, join(build.root, entry)],
    {
      env: {
        ...process.env,
        ...benchServiceEnv(env, 'sink-webhook', prefix, port),
        ROUTING_RULES_FILE: rulesFile,
        WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
        KAFKA_SESSION_TIMEOUT_MS: '10000',
        ...config.sinkEnv,
        ...(profile !== undefined ? profilerEnv(repoRoot, profile) : {}),
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  const log = createWriteStream(logFile);
  child.stdout?.pipe(log);
  child.stderr?.pipe(log);
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  try {
    await waitFor(
      async () => {
        if (child.exitCode !== null) throw new Error(`sink-webhook exited; see ${logFile}`);
        return (await fetch(`${url}${healthPath}`)).status === 200;
      },
      { timeoutMs: 120_000, intervalMs: 200, what: 'sink-webhook health' },
    );
  } catch (error) {
    child.kill('SIGKILL');
    throw error;
  }
  return {
    child,
    url,
    stop: async () => {
      if (child.exitCode === null) child.kill('SIGTERM');
      await exited;
    },
  };
}

interface RunFigures {
  label: string;
  run: number;
  leads: number;
  delivered: number;
  posts: number;
  seconds: number;
  leadsPerSecond: number;
  cpuSeconds: number;
  cpuUsPerDelivery: number;
  /** Minor page faults per delivery (each costs the kernel µs on a virtual machine). */
  faultsPerDelivery: number;
  peakRssMb: number;
  /** VmRSS after the warm-up lead, before the run's leads. */
  startRssMb: number;
  /** The highest VmRSS sampled each 250 ms while the leads went through. */
  maxSampledRssMb: number;
  /** The highest V8 heap in use and allocated, and external memory, from /metrics each second. */
  maxHeapUsedMb: number;
  maxHeapTotalMb: number;
  maxExternalMb: number;
  speedToLead?: { p50: number; p99: number; max: number };
  /** Commands the sink sent Redis per delivery (its budget and parking), all and by name. */
  redisPerDelivery: number;
  redisMix: string;
}

/** Redis' own count of the commands it ran, by name (INFO commandstats), INFO itself left out. */
async function redisCalls(redis: Redis): Promise<Map<string, number>> {
  const calls = new Map<string, number>();
  for (const match of (await redis.info('commandstats')).matchAll(
    /^cmdstat_([^:]+):calls=(\d+)/gm,
  )) {
    if (match[1] !== 'info') calls.set(match[1]!, Number(match[2]));
  }
  return calls;
}

async function oneRun(
  env: BenchEnv,
  redis: Redis,
  receiver: Receiver,
  producer: BatchingProducer,
  build: Build,
  run: number,
): Promise<RunFigures> {
  const id = randomBytes(3).toString('hex');
  const prefix = `bench-webhook-${id}-${build.label}.`;
  const codec = await preparePrefix(env, prefix);
  const rulesFile = writeRules(
    env.workDir,
    prefix,
    sinksRulesYaml({
      inboxUrl: `${receiver.url}/inbox`,
      retryDelays: ['5s', '15s', '30s'],
      ...(config.budget ? { inboxBudget: config.budget } : {}),
    }),
  );
  const outcomes = await collectOutcomes(env, codec, prefix);
  const inbox = DESTINATION.webhook;
  const profile =
    config.profile === build.label && run === 1
      ? join(env.workDir, `${build.label}.cpuprofile`)
      : undefined;
  const sink = await startSink(
    env,
    build,
    prefix,
    rulesFile,
    join(env.workDir, 'logs', `${prefix}log`),
    profile,
  );
  const pid = sink.child.pid!;
  try {
    // One lead first: the group has joined and the first connection is open when the clock starts.
    await produceRouted(producer, codec, prefix, [routedLead(prefix, 0, ['webhook'])]);
    await waitFor(() => outcomes.count(inbox) >= 1, {
      timeoutMs: 120_000,
      what: 'the warm-up lead',
    });
    await receiver.reset();
    if (profile !== undefined) sink.child.kill('SIGUSR2');
    const redis0 = await redisCalls(redis);
    const cpu0 = cpuSeconds(pid);
    const faults0 = minorFaults(pid);
    const t0 = Date.now();
    const startRss = rssMb(pid) ?? NaN;
    let maxRss = startRss;
    const sampler = setInterval(() => {
      maxRss = Math.max(maxRss, rssMb(pid) ?? 0);
    }, 250);
    const heap = { used: 0, total: 0, external: 0 };
    const mb = (text: string, name: string) => sumMetric(text, name) / 1024 / 1024;
    const heapSampler = setInterval(() => {
      void scrape(sink.url).then((text) => {
        heap.used = Math.max(heap.used, mb(text, 'nodejs_heap_size_used_bytes'));
        heap.total = Math.max(heap.total, mb(text, 'nodejs_heap_size_total_bytes'));
        heap.external = Math.max(heap.external, mb(text, 'nodejs_external_memory_bytes'));
      });
    }, 1_000);
    const total = config.leads;
    const produced: RoutedLead[] = [];
    if (config.rate > 0) {
      while (produced.length < total) {
        const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * config.rate));
        const batch: RoutedLead[] = [];
        for (let i = produced.length; i < due; i++)
          batch.push(routedLead(prefix, i + 1, ['webhook']));
        if (batch.length > 0) {
          produced.push(...batch);
          await produceRouted(producer, codec, prefix, batch);
        }
        await sleep(20);
      }
    } else {
      for (let i = 0; i < total; i += 1000) {
        const batch = Array.from({ length: Math.min(1000, total - i) }, (_, k) =>
          routedLead(prefix, i + k + 1, ['webhook']),
        );
        produced.push(...batch);
        await produceRouted(producer, codec, prefix, batch);
      }
    }
    const drained = await waitWithProgress(
      () => outcomes.count(inbox) >= total + 1,
      () => `${build.label} run ${run}: ${outcomes.count(inbox) - 1}/${total} outcomes`,
      { timeoutMs: 900_000, everyMs: 10_000, say },
    );
    clearInterval(sampler);
    clearInterval(heapSampler);
    const seconds = (Date.now() - t0) / 1000;
    const cpu = cpuSeconds(pid) - cpu0;
    const faults = minorFaults(pid) - faults0;
    const peak = peakRssMb(pid) ?? NaN;
    const redisRan = [...(await redisCalls(redis))]
      .map(([name, calls]) => [name, calls - (redis0.get(name) ?? 0)] as const)
      .filter(([, calls]) => calls > 0)
      .sort((a, b) => b[1] - a[1]);
    // The profile is stopped and written after the run's own readings, so its writing is in none.
    if (profile !== undefined) {
      sink.child.kill('SIGUSR2');
      if (!(await waitForProfile(profile, 30_000)))
        throw new Error(`sink-webhook wrote no profile to ${profile}`);
      printProfile(say, `${build.label} run ${run}`, profile, repoRoot);
    }
    if (!drained) say(`${build.label} run ${run}: not every lead has an outcome`);
    const stats = await receiver.stats();
    const mine = new Set(produced.map((l) => l.lead.lead_id));
    const list = [...outcomes.pairs(inbox).entries()]
      .filter(([leadId]) => mine.has(leadId))
      .map(([, l]) => l[0]!);
    const delivered = list.filter((o) => o.status === 'DELIVERED');
    const speeds = delivered.map((o) => o.speed_to_lead_ms).sort((a, b) => a - b);
    return {
      label: build.label,
      run,
      leads: total,
      delivered: delivered.length,
      posts: stats.posts,
      seconds,
      leadsPerSecond: total / seconds,
      cpuSeconds: cpu,
      cpuUsPerDelivery: (cpu / total) * 1e6,
      faultsPerDelivery: faults / total,
      redisPerDelivery: redisRan.reduce((sum, [, calls]) => sum + calls, 0) / total,
      redisMix: redisRan.map(([name, calls]) => `${name} ${(calls / total).toFixed(3)}`).join(', '),
      peakRssMb: peak,
      startRssMb: startRss,
      maxSampledRssMb: maxRss,
      maxHeapUsedMb: heap.used,
      maxHeapTotalMb: heap.total,
      maxExternalMb: heap.external,
      ...(config.rate > 0
        ? {
            speedToLead: {
              p50: percentile(speeds, 50),
              p99: percentile(speeds, 99),
              max: speeds[speeds.length - 1] ?? NaN,
            },
          }
        : {}),
    };
  } finally {
    await sink.stop();
    await outcomes.stop();
  }
}

function table(rows: readonly RunFigures[]): string {
  const lines = [
    '| build | run | delivered | POSTs | s | leads/s | CPU s | CPU µs/delivery | minor faults/delivery | Redis commands/delivery | VmHWM MB | VmRSS MB at start / max | heap used / total, external MB (max) | speed-to-lead p50/p99/max ms |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const r of rows) {
    const speed = r.speedToLead
      ? `${r.speedToLead.p50} / ${r.speedToLead.p99} / ${r.speedToLead.max}`
      : '–';
    lines.push(
      `| ${r.label} | ${r.run} | ${r.delivered}/${r.leads} | ${r.posts} | ${r.seconds.toFixed(1)} | ` +
        `${r.leadsPerSecond.toFixed(0)} | ${r.cpuSeconds.toFixed(2)} | ${r.cpuUsPerDelivery.toFixed(0)} | ` +
        `${r.faultsPerDelivery.toFixed(2)} | ${r.redisPerDelivery.toFixed(3)} (${r.redisMix}) | ${r.peakRssMb.toFixed(0)} | ${r.startRssMb.toFixed(0)} / ${r.maxSampledRssMb.toFixed(0)} | ` +
        `${r.maxHeapUsedMb.toFixed(0)} / ${r.maxHeapTotalMb.toFixed(0)}, ${r.maxExternalMb.toFixed(0)} | ${speed} |`,
    );
  }
  const labels = [...new Set(rows.map((r) => r.label))];
  lines.push(
    '',
    '| build | CPU µs/delivery (median, min–max) | minor faults/delivery (median) | Redis commands/delivery (median) | VmHWM MB (median, min–max) |',
  );
  lines.push('| --- | --- | --- | --- | --- |');
  for (const label of labels) {
    const of = rows.filter((r) => r.label === label);
    const cpu = of.map((r) => r.cpuUsPerDelivery).sort((a, b) => a - b);
    const rss = of.map((r) => r.peakRssMb).sort((a, b) => a - b);
    const faults = of.map((r) => r.faultsPerDelivery).sort((a, b) => a - b);
    const redis = of.map((r) => r.redisPerDelivery).sort((a, b) => a - b);
    lines.push(
      `| ${label} | ${percentile(cpu, 50).toFixed(0)} (${cpu[0]!.toFixed(0)}–${cpu[cpu.length - 1]!.toFixed(0)}) | ` +
        `${percentile(faults, 50).toFixed(2)} | ${percentile(redis, 50).toFixed(3)} | ` +
        `${percentile(rss, 50).toFixed(0)} (${rss[0]!.toFixed(0)}–${rss[rss.length - 1]!.toFixed(0)}) |`,
    );
  }
  return lines.join('\n');
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-bench-webhook-'));
  mkdirSync(join(workDir, 'logs'), { recursive: true });
  const host = machine(repoRoot);
  const { brokers, registryUrl, stack } = await benchStack(workDir, say);
  const receiver = await startReceiver(repoRoot);
  const redis = new Redis(process.env['REDIS_URL'] ?? 'redis://127.0.0.1:6379');
  const kafka = benchKafka(brokers, 'bench-sink-webhook', createLogger('bench', 'warn'));
  const env: BenchEnv = {
    repoRoot,
    workDir,
    brokers,
    registryUrl,
    rulesFile: '',
    receiverUrl: receiver.url,
    kafka,
  };
  const producer = BatchingProducer.create(kafka, { ackTimeoutMs: 60_000 });
  await producer.connect();
  const rows: RunFigures[] = [];
  say(
    `${config.leads} leads per run, ${config.rate > 0 ? `${config.rate}/s` : 'produced up front'}, ` +
      `budget ${config.budget ? `${config.budget.requests}/${config.budget.per_seconds} s` : "the webhook type's default"}; ` +
      `builds ${config.builds.map((b) => `${b.label}=${b.root}`).join(', ')}; ${config.runs} run(s) each; ` +
      `${host.nproc} cores, ${host.cpuModel}, load ${host.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
  );
  try {
    for (let run = 1; run <= config.runs; run++) {
      for (const build of config.builds) {
        const figures = await oneRun(env, redis, receiver, producer, build, run);
        rows.push(figures);
        say(
          `${build.label} run ${run}: ${figures.leadsPerSecond.toFixed(0)} leads/s, ` +
            `${figures.cpuUsPerDelivery.toFixed(0)} µs CPU per delivery, ` +
            `${figures.redisPerDelivery.toFixed(3)} Redis commands per delivery, VmHWM ${figures.peakRssMb.toFixed(0)} MB`,
        );
      }
    }
  } finally {
    await producer.disconnect();
    redis.disconnect();
    await receiver.stop();
    await stack?.stop();
    if (stack) rmSync(stack.dataDir, { recursive: true, force: true });
  }
  process.stdout.write(`\n${table(rows)}\n\nload after: ${machine(repoRoot).loadAverage}\n`);
  say(`logs in ${workDir}`);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:sink-webhook failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

/**
 * The whole-system benchmark (issues 6 and 15): Kafka's own limit, ingest under autocannon,
 * 200,000 leads through every stage as its own process (throughput timed from spawn), then
 * speed-to-lead as a sender feels it — from each request's scheduled slot (open-model pacing) to
 * the receiver's arrival stamp — at 250 to 4,000 leads/s offered, three runs a rate, up to the
 * knee, with half the sustainable throughput as its own point; per-hop latency from the records'
 * timestamps, CPU per lead of every process, event-loop delay, peak memory, CPU profiles; charts
 * as SVG next to bench/RESULTS.md, and a dated entry appended to it.
 *
 *   npm run bench               # builds first; < 25 minutes on 2 cores
 *   npm run bench -- --smoke    # tiny sizes, prints the entry without recording it (< 3 minutes)
 *
 * Uses KAFKA_BROKERS and SCHEMA_REGISTRY_URL when both are set (with BENCH_STACK_DIR, the data
 * dir of the local stack they belong to, the broker's and registry's CPU is read too), else
 * starts a local stack.
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ServiceProcess } from '@lead-router/local-stack';
import { prefixedTopics, type RoutedLead } from '@lead-router/schemas';
import { byPackage, profilerEnv, selfTimes, waitForProfile } from './cpu-profile';
import { floorTopic, httpFloorLoad, ingestLoad, pacedLoad } from './ingest.part';
import { avroFigures, kafkaLimit } from './kafka-limit.part';
import { kafkaTools } from './kafka-tools.part';
import {
  PIPELINE_CHAIN,
  PIPELINE_CHAIN_WITH_AVRO,
  PIPELINE_CHAIN_WITH_WEBHOOK,
  averageValueBytes,
  chainWebhookFor,
  rawChain,
  rawChainLatency,
  sampleTopicRecords,
  type SampleRecord,
  type TopicKey,
} from './raw-chain.part';
import { baselineCacheDir, cpuPerLeadComparison, prepareBaseline } from './baseline.part';
import { stackCpuSources } from './cpu.accounting';
import { rawLeads } from './lead.generator';
import {
  INGEST_WARMUP,
  STAGES,
  benchEnvFor,
  dropPrefix,
  hopLatency,
  latencyRun,
  startBenchService,
  startReceiver,
  throughputRun,
  warmIngest,
  warmTransactions,
  type BenchEnv,
  type LatencyPath,
  type LatencyRun,
} from './pipeline.part';
import {
  cpuSeconds,
  machine,
  peakRssMb,
  readStackPids,
  sampleOf,
  sleep,
  type Machine,
} from './proc.stats';
import {
  curvePoints,
  kneeOf,
  renderEntry,
  type BenchResult,
  type ProfileSummary,
} from './results.entry';
import { BrokerRequests } from './broker-requests.part';
import { benchCodec, benchStack } from './bench.stack';
import { lagPanelsSvg, latencyCurveSvg } from './charts.svg';

const repoRoot = resolve(__dirname, '..', '..');
const smoke = process.argv.includes('--smoke');

const sizes = smoke
  ? {
      raw: 5_000,
      tools: 5_000,
      latency: 200,
      chain: 3_000,
      pool: 1_000,
      cpuLeads: 2_000,
      cpuWarmup: 500,
      cpuRounds: 1,
      ingestSeconds: 3,
      pipeline: 3_000,
      rates: [250, 1_000],
      runs: 3,
      runSeconds: 4,
      warmupSeconds: 1,
      ingestWarmupSeconds: 3,
      ingestWarmupRate: INGEST_WARMUP.rate,
      drainMs: 20_000,
      hopSample: 300,
      profile: 2_000,
    }
  : {
      raw: 100_000,
      tools: 100_000,
      latency: 1_000,
      chain: 100_000,
      pool: 20_000,
      cpuLeads: 30_000,
      cpuWarmup: 1_000,
      cpuRounds: 2,
      ingestSeconds: 20,
      pipeline: 200_000,
      rates: [250, 500, 1_000, 2_000, 4_000],
      runs: 3,
      runSeconds: 15,
      warmupSeconds: 3,
      ingestWarmupSeconds: INGEST_WARMUP.seconds,
      ingestWarmupRate: INGEST_WARMUP.rate,
      drainMs: 60_000,
      hopSample: 2_000,
      profile: 40_000,
    };

/** How long ingest is profiled, under the single-lead load, after its measured runs. */
const INGEST_PROFILE_SECONDS = 10;

/** The knee: a run whose p99 passes this, or whose deliveries fall behind the offered rate. */
const KNEE_P99_MS = 5_000;

const say = (msg: string): void => {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

async function main(): Promise<void> {
  const started = Date.now();
  const stamp = new Date().toISOString().slice(0, 16).replace(/[-:]/g, '').replace('T', '-');
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-bench-'));
  mkdirSync(join(workDir, 'profiles'));
  const before: Machine = machine(repoRoot);
  // The baseline commit's build for the CPU comparison (the last phase), made once and kept in a cache
  // directory; a smoke run compares only when it is already there.
  const baselineCommit = 'fa703b9';
  const baselineRoot = smoke
    ? cachedBaseline(baselineCommit)
    : await prepareBaseline(baselineCommit, say);
  const { brokers, registryUrl, stack } = await benchStack(workDir, say);
  const stackPids = readStackPids(stack?.dataDir ?? process.env['BENCH_STACK_DIR']);
  const receiver = await startReceiver(repoRoot);
  const otherPids = new Map([
    // pids.json names them 'kafka broker' and 'apicurio registry'
    ...[...stackPids].map(([name, pid]) => [name.split(' ').pop()!, pid] as const),
    ['receiver', receiver.child.pid!] as const,
  ]);
  const env = benchEnvFor({ repoRoot, workDir, brokers, registryUrl, receiver, clientId: 'bench' });
  const { kafka } = env;
  const run = randomBytes(3).toString('hex');
  const prefix = (part: string) => `bench-${run}-${part}.`;
  const live: ServiceProcess[] = [];
  const result: Partial<BenchResult> = { smoke, sizes, machine: before, external: !stack };
  const chartDir = smoke ? workDir : join(repoRoot, 'bench');
  const charts = {
    curve: `pipeline-latency-${stamp}.svg`,
    lag: `pipeline-lag-${stamp}.svg`,
  };

  let brokerRequests: BrokerRequests | undefined;
  try {
    say(`1. ingest under autocannon, ${sizes.ingestSeconds} s per endpoint`);
    const ingestProfile = join(workDir, 'profiles', 'ingest.cpuprofile');
    const ingest = await startBenchService(
      env,
      'ingest',
      prefix('ingest'),
      profilerEnv(repoRoot, ingestProfile),
    );
    live.push(ingest);
    // The 3 s of warm-up the bare server below gets too: a fresh process's JIT (and, on a stack
    // started moments before, the broker's) is not what these figures are about.
    await ingestLoad(ingest.url, 'bench-key', { batch: 1, connections: 64, seconds: 3, seed: 10 });
    const cpuIngest0 = cpuSeconds(ingest.process.pid!);
    const single = await ingestLoad(ingest.url, 'bench-key', {
      batch: 1,
      connections: 64,
      seconds: sizes.ingestSeconds,
      seed: 11,
    });
    say(`   single: ${JSON.stringify(single)}`);
    // 4 connections of 100 leads: 400 leads in flight, the load 64 single-lead connections
    // would be at ~6x their request rate; 64 of them would measure queueing, not ingest.
    const batch = await ingestLoad(ingest.url, 'bench-key', {
      batch: 100,
      connections: 4,
      seconds: sizes.ingestSeconds,
      seed: 12,
    });
    say(`   batch: ${JSON.stringify(batch)}`);
    const cpuIngest = cpuSeconds(ingest.process.pid!) - cpuIngest0;
    const peakIngest = peakRssMb(ingest.process.pid!) ?? NaN;
    // Point 7's profile over a single-lead load of its own, so the profiler's cost is in no
    // figure above.
    ingest.process.kill('SIGUSR2');
    await ingestLoad(ingest.url, 'bench-key', {
      batch: 1,
      connections: 64,
      seconds: Math.min(INGEST_PROFILE_SECONDS, sizes.ingestSeconds),
      seed: 14,
    });
    ingest.process.kill('SIGUSR2');
    await waitForProfile(ingestProfile);
    result.ingest = {
      single,
      batch,
      cpuSeconds: cpuIngest,
      peakRssMb: peakIngest,
      profile: existsSync(ingestProfile) ? summarize(ingestProfile) : undefined,
    };
    await ingest.stop();
    live.splice(live.indexOf(ingest), 1);
    const floor = await httpFloorLoad(repoRoot, { seconds: sizes.ingestSeconds, seed: 13 });
    say(`   bare node:http server, the same single-lead load: ${JSON.stringify(floor)}`);
    result.ingest.floor = floor;
    const nestFloor = await httpFloorLoad(repoRoot, {
      seconds: sizes.ingestSeconds,
      seed: 15,
      server: 'nest',
    });
    say(`   NestJS on Fastify, one empty controller, the same load: ${JSON.stringify(nestFloor)}`);
    result.ingest.nestFloor = nestFloor;
    const nestKafkaFloor = await httpFloorLoad(repoRoot, {
      seconds: sizes.ingestSeconds,
      seed: 16,
      server: 'nest+kafka',
      topic: await floorTopic(kafka, prefix('floor')),
    });
    say(
      `   the same controller writing each body to Kafka before its 202: ${JSON.stringify(nestKafkaFloor)}`,
    );
    result.ingest.nestKafkaFloor = nestKafkaFloor;

    say(`2. pipeline: ${sizes.pipeline} RawLeads on leads.raw, then every stage as a process`);
    const pipePrefix = prefix('pipe');
    await warmTransactions(env, pipePrefix);
    const through = await throughputRun(env, receiver, pipePrefix, sizes.pipeline, {
      timeoutMs: smoke ? 150_000 : 420_000,
      say,
      label: 'throughput',
      otherPids,
    });
    live.push(...through.services.values());
    const sustainable = through.count / through.wallSeconds;
    say(
      `   delivered ${through.delivered}/${through.count} in ${through.wallSeconds.toFixed(1)} s ` +
        `from spawn = ${sustainable.toFixed(0)} leads/s`,
    );
    result.pipeline = { ...through, services: undefined };
    const stageRss = () =>
      Object.fromEntries(
        STAGES.map((s) => [s, peakRssMb(through.services.get(s)!.process.pid!) ?? NaN]),
      );
    result.memory = stageRss();

    say(`3. the physical limit, on this run's records`);
    const { topics } = prefixedTopics(pipePrefix);
    const keys = [
      ...new Set(PIPELINE_CHAIN.flatMap((c) => c.hops.flatMap((h) => [h.from, ...h.to]))),
    ];
    const pools: Partial<Record<TopicKey, SampleRecord[]>> = {};
    for (const key of keys) pools[key] = await sampleTopicRecords(kafka, topics[key], sizes.pool);
    const averageBytes = averageValueBytes(keys.flatMap((key) => pools[key]!));
    say(`   sampled ${keys.map((key) => `${key} ${pools[key]!.length}`).join(', ')}`);
    say(`   kafkajs produce and consume: ${sizes.raw} records of leads.raw`);
    result.kafka = await kafkaLimit(kafka, `${prefix('limit')}raw`, sizes.raw, pools.raw);
    say(`   ${JSON.stringify(result.kafka)}`);
    say(`   Kafka's own tools: ${sizes.tools} records of ${averageBytes} bytes`);
    result.tools = await kafkaTools({
      kafka,
      brokers,
      prefix: prefix('tools'),
      records: sizes.tools,
      recordBytes: averageBytes,
      latencyRecords: sizes.latency,
      workDir,
      say,
    });
    say(`   ${JSON.stringify(result.tools)}`);
    say(
      `   the raw kafkajs chain: ${sizes.chain} leads, the pipeline's ` +
        `${PIPELINE_CHAIN.flatMap((c) => c.hops).length} hops in ${PIPELINE_CHAIN.length} processes`,
    );
    // what the three chains' throughput runs share
    const chainRuns = { kafka, brokers, count: sizes.chain, pools, workDir, say };
    result.chain = await rawChain({
      ...chainRuns,
      prefix: prefix('chain'),
      otherPids: Object.fromEntries(stackPids),
    });
    say(`   ${JSON.stringify({ ...result.chain, processes: undefined })}`);
    say(
      `   the same chain with sink-webhook's request: ${sizes.chain} leads, each POSTed to the ` +
        `receiver before leads.delivered`,
    );
    const webhook = await chainWebhookFor(env.registryUrl, pools.routed!);
    const withReceiver = { ...Object.fromEntries(stackPids), receiver: receiver.child.pid! };
    result.chainWebhook = await rawChain({
      ...chainRuns,
      prefix: prefix('chainhook'),
      processes: PIPELINE_CHAIN_WITH_WEBHOOK,
      webhook,
      otherPids: withReceiver,
    });
    await receiver.reset();
    say(`   ${JSON.stringify({ ...result.chainWebhook, processes: undefined })}`);
    say(
      `   that chain with Avro on every hop: ${sizes.chain} leads, each record decoded and each ` +
        `output encoded, each webhook built from its decoded lead`,
    );
    result.chainAvro = await rawChain({
      ...chainRuns,
      prefix: prefix('chainavro'),
      processes: PIPELINE_CHAIN_WITH_AVRO,
      webhook,
      registryUrl,
      otherPids: withReceiver,
    });
    await receiver.reset();
    say(`   ${JSON.stringify({ ...result.chainAvro, processes: undefined })}`);

    say('   Avro encode/decode of a RawLead and a RoutedLead from this run');
    const routed = await firstRouted(env, pipePrefix);
    const rawSample = rawLeads(1, 'bench-kafka')();
    result.avro = avroFigures(rawSample, routed, smoke ? 0.3 : 1.5);

    const half = Math.max(50, Math.round(sustainable / 2 / 50) * 50);
    const rates = [...new Set([...sizes.rates, half])].sort((a, b) => a - b);
    say(
      `4. speed-to-lead, sender's slot → receiver, at ${rates.join(', ')} leads/s offered ` +
        `(${half}/s is half the sustainable ${sustainable.toFixed(0)}/s), ${sizes.runs} runs of ` +
        `${sizes.runSeconds} s each, the first ${sizes.warmupSeconds} s dropped, up to the knee`,
    );
    const steadyIngest = await startBenchService(env, 'ingest', pipePrefix);
    live.push(steadyIngest);
    const services = new Map<string, ServiceProcess>([
      ['ingest', steadyIngest],
      ...STAGES.map((s) => [s, through.services.get(s)!] as const),
    ]);
    const pids = new Map([
      ...otherPids,
      ...[...services].map(([name, s]) => [name, s.process.pid!] as const),
    ]);
    const brokerPid = otherPids.get('broker');
    if (brokerPid !== undefined) brokerRequests = await BrokerRequests.attach(brokerPid, say);
    const path: LatencyPath = {
      receiver,
      prefix: pipePrefix,
      services,
      load: (rt, s, sd) =>
        pacedLoad(steadyIngest.url, 'bench-1k', { rate: rt, seconds: s, seed: sd }),
    };
    await warmIngest(path, {
      rate: Math.min(sizes.ingestWarmupRate, half),
      seconds: sizes.ingestWarmupSeconds,
      pids,
      say,
    });
    const curve: LatencyRun[] = [];
    let seed = 100;
    let knee: number | undefined;
    // The session stays within its 25 minutes on a busy host: past this point only the half
    // rate still runs (the profiles and the baseline comparison come after).
    const curveUntil = started + (smoke ? 10 : 15) * 60_000;
    const skipped: number[] = [];
    for (const rate of rates) {
      if (knee !== undefined && rate !== half) continue;
      if (Date.now() > curveUntil && rate !== half) {
        skipped.push(rate);
        continue;
      }
      for (let i = 1; i <= sizes.runs; i++) {
        const runStartMs = Date.now();
        const {
          result: r,
          arrivals,
          slots,
        } = await latencyRun(path, {
          rate,
          run: i,
          seconds: sizes.runSeconds,
          warmupSeconds: sizes.warmupSeconds,
          drainMs: sizes.drainMs,
          seed: seed++,
          pids,
          say,
          ...(brokerRequests && { brokerRequests }),
        });
        curve.push(r);
        say(
          `   ${rate}/s run ${i}: p50 ${r.p50.toFixed(0)} ms, p99 ${r.p99.toFixed(0)} ms, ` +
            `p99.9 ${r.p999.toFixed(0)} ms, max ${r.max.toFixed(0)} ms; ${r.accepted} accepted, ` +
            `${r.undelivered} undelivered, ${r.deliveredPerSec.toFixed(0)} delivered/s`,
        );
        if (rate === half && i === 1) {
          const after =
            slots.size > 0 ? Math.min(...slots.values()) + sizes.warmupSeconds * 1000 : 0;
          const joined = arrivals
            .map(([sid, leadId, at]) => ({ leadId, slot: slots.get(sid) ?? NaN, arrival: at }))
            .filter((a) => a.slot >= after);
          const sample = sampleOf(joined, sizes.hopSample);
          say(
            `   per-hop latency of ${sample.length} leads of this run from their records' timestamps`,
          );
          result.hops = { rate, ...(await hopLatency(env, pipePrefix, sample, runStartMs - 1000)) };
        }
        if (kneeOf(r, KNEE_P99_MS)) {
          knee ??= rate;
          break;
        }
      }
    }
    result.curve = curve;
    result.knee = knee;
    result.skippedForTime = skipped;
    result.half = half;
    result.sustainable = sustainable;
    result.memory = { ...stageRss(), ingest: peakRssMb(steadyIngest.process.pid!) ?? NaN };
    result.ingestSteadyPeakRssMb = result.memory['ingest']!;
    result.otherRss = Object.fromEntries(
      [...otherPids].map(([name, pid]) => [name, peakRssMb(pid) ?? NaN]),
    );
    for (const s of [...live].reverse()) await s.stop();
    live.length = 0;

    const chainRates = [...new Set(curve.map((r) => r.rate))].sort((a, b) => a - b);
    say(
      `   the physical limit of speed-to-lead: the raw kafkajs chain at ${chainRates.join(', ')} ` +
        `leads/s, one run of ${sizes.runSeconds} s each, the pipeline's services stopped`,
    );
    // what the three chains' latency runs share
    const latencyRuns = {
      kafka,
      brokers,
      pools,
      workDir,
      rates: chainRates,
      seconds: sizes.runSeconds,
      warmupSeconds: sizes.warmupSeconds,
      drainMs: sizes.drainMs,
      say,
    };
    result.chainLatency = await rawChainLatency({
      ...latencyRuns,
      prefix: prefix('chainlat'),
      otherPids: Object.fromEntries(stackPids),
      ...(brokerRequests && { brokerRequests }),
    });
    brokerRequests?.close();
    say(`   the same with sink-webhook's request on the chain's last hop`);
    result.chainWebhookLatency = await rawChainLatency({
      ...latencyRuns,
      prefix: prefix('chainhooklat'),
      processes: PIPELINE_CHAIN_WITH_WEBHOOK,
      webhook,
      otherPids: withReceiver,
    });
    await receiver.reset();
    say(`   the same with Avro on every hop besides`);
    result.chainAvroLatency = await rawChainLatency({
      ...latencyRuns,
      prefix: prefix('chainavrolat'),
      processes: PIPELINE_CHAIN_WITH_AVRO,
      webhook,
      registryUrl,
      otherPids: withReceiver,
    });
    await receiver.reset();

    writeFileSync(
      join(chartDir, charts.curve),
      latencyCurveSvg(curvePoints(curve), {
        targetMs: 150,
        limits: [
          { label: 'chain p99', points: result.chainLatency },
          { label: '+webhook p99', points: result.chainWebhookLatency },
          { label: '+Avro p99', points: result.chainAvroLatency },
        ],
        markRate: half,
        title: `Speed-to-lead, sender's slot → receiver, against offered load (${before.commit})`,
      }),
    );
    writeFileSync(
      join(chartDir, charts.lag),
      lagPanelsSvg(
        [
          {
            title: `throughput, ${through.count.toLocaleString('en-US')} leads`,
            samples: through.samples.map((s) => ({ t: s.t, values: s.lag })),
          },
          ...curve.map((r) => ({
            title: `${r.rate.toLocaleString('en-US')}/s, run ${r.run}`,
            samples: r.samples.map((s) => ({ t: s.t, values: s.lag })),
          })),
        ],
        STAGES,
      ),
    );
    result.charts = charts;

    const slowest = STAGES.reduce((a, b) =>
      (through.cpu[a] ?? 0) >= (through.cpu[b] ?? 0) ? a : b,
    );
    say(`5. CPU profile of every stage, ${sizes.profile} leads; slowest by CPU: ${slowest}`);
    const profDir = join(workDir, 'profiles');
    const profiled = await throughputRun(env, receiver, prefix('prof'), sizes.profile, {
      timeoutMs: smoke ? 150_000 : 240_000,
      say,
      label: 'profile',
      serviceEnv: (stage) => profilerEnv(repoRoot, join(profDir, `${stage}.cpuprofile`)),
      onReady: (ready) => {
        for (const service of ready.values()) service.process.kill('SIGUSR2');
      },
    });
    const profiles: BenchResult['profiles'] = {};
    for (const service of profiled.services.values()) service.process.kill('SIGUSR2');
    for (const [stage, service] of profiled.services) {
      const file = join(profDir, `${stage}.cpuprofile`);
      await waitForProfile(file);
      await service.stop();
      if (!existsSync(file)) continue;
      profiles[stage] = summarize(file);
    }
    result.profiles = profiles;
    result.slowest = slowest;

    if (baselineRoot === undefined)
      say(
        `6. CPU per lead against ${baselineCommit}: skipped (its build is not cached; npm run bench builds it)`,
      );
    else {
      say(`6. CPU per lead of this tree against ${baselineCommit}, the same leads, alternately`);
      result.cpuComparison = await cpuPerLeadComparison({
        brokers,
        registryUrl,
        kafka,
        receiver,
        stackSources: stackCpuSources(stack?.dataDir ?? process.env['BENCH_STACK_DIR'] ?? ''),
        workDir,
        leads: sizes.cpuLeads,
        warmupLeads: sizes.cpuWarmup,
        rounds: sizes.cpuRounds,
        baselineCommit,
        baselineRoot,
        onProgress: (line) => say(`   ${line}`),
      });
    }
  } finally {
    brokerRequests?.close();
    for (const s of live) await s.kill();
    await receiver.stop();
    result.machineAfter = machine(repoRoot);
    result.seconds = (Date.now() - started) / 1000;
    // A stack of someone else's keeps it, but not this session's topics (dropPrefix says why).
    if (!stack)
      await dropPrefix(env, `bench-${run}-`).catch((err: unknown) =>
        say(`topics of bench-${run}- left: ${String(err)}`),
      );
    await stack?.stop();
    // the broker's log dirs hold ~2 GB of bench topics; the profiles and result.json stay
    if (stack) rmSync(stack.dataDir, { recursive: true, force: true });
  }

  const entry = renderEntry(result as BenchResult);
  const json = join(workDir, 'result.json');
  writeFileSync(json, JSON.stringify(result, replacer, 2));
  if (smoke) {
    process.stdout.write(`\n${entry}\n`);
    say(
      `smoke run done in ${result.seconds?.toFixed(0)} s; not recorded (raw figures: ${json}, charts in ${chartDir})`,
    );
  } else {
    appendFileSync(join(repoRoot, 'bench', 'RESULTS.md'), `\n${entry}`);
    process.stdout.write(`\n${entry}\n`);
    say(`appended to bench/RESULTS.md in ${result.seconds?.toFixed(0)} s (raw figures: ${json})`);
  }
}

/** The baseline's build when a bench already made it, else undefined (nothing is built). */
function cachedBaseline(commit: string): string | undefined {
  try {
    const sha = execFileSync('git', ['rev-parse', '--verify', `${commit}^{commit}`], {
      cwd: repoRoot,
      encoding: 'utf8',
    }).trim();
    const root = join(baselineCacheDir(), sha);
    return existsSync(join(root, '.lead-router-bench-built')) ? root : undefined;
  } catch {
    return undefined;
  }
}

/** JSON has no Infinity: an undelivered lead's latency is written as a string. */
function replacer(_key: string, value: unknown): unknown {
  return typeof value === 'number' && !Number.isFinite(value) ? String(value) : value;
}

function summarize(file: string): ProfileSummary {
  const { total, top } = selfTimes(file, repoRoot);
  return {
    file,
    totalMs: total,
    top: top.filter((t) => t.fn !== '(idle)').slice(0, 10),
    packages: byPackage(top).slice(0, 8),
  };
}

/** One RoutedLead of this run, decision trace and all: the realistic record to time Avro on. */
async function firstRouted(env: BenchEnv, prefix: string): Promise<RoutedLead> {
  const topic = prefixedTopics(prefix).topics.routed;
  const codec = benchCodec(env.registryUrl);
  const consumer = env.kafka.consumer({ groupId: `${prefix}bench.sample` });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  let found: RoutedLead | undefined;
  await consumer.run({
    eachMessage: async ({ message }) => {
      found ??= await codec.decode<RoutedLead>(message.value, 'RoutedLead');
    },
  });
  while (!found) await sleep(100);
  await consumer.disconnect();
  return found;
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

/**
 * The whole-system benchmark (issue 6): Kafka's own limit, ingest under autocannon, 200,000 leads
 * through every stage as its own process, speed-to-lead at fixed offered rates, peak memory and a
 * CPU profile, all in one session on one machine; appends a dated entry to bench/RESULTS.md.
 *
 *   npm run bench               # builds first; < 15 minutes on 2 cores
 *   npm run bench -- --smoke    # tiny sizes, prints the entry without recording it
 *
 * Uses KAFKA_BROKERS and SCHEMA_REGISTRY_URL when both are set, else starts a local stack.
 */
import { randomBytes } from 'node:crypto';
import {
  appendFileSync,
  rmSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ServiceProcess } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import { prefixedTopics, type RoutedLead } from '@lead-router/schemas';
import { byPackage, selfTimes } from './cpu-profile';
import { ingestLoad, pacedLoad } from './ingest.part';
import { avroFigures, kafkaLimit } from './kafka-limit.part';
import { rawLeads } from './lead.generator';
import {
  STAGES,
  deliveredOutcomes,
  startBenchService,
  startReceiver,
  throughputRun,
  type BenchEnv,
  type StageName,
} from './pipeline.part';
import { cpuSeconds, machine, peakRssMb, percentile, sleep } from './proc.stats';
import { renderEntry, type BenchResult, type ProfileSummary } from './results.entry';
import { benchCodec, benchKafka, benchStack } from './bench.stack';

const repoRoot = resolve(__dirname, '..', '..');
const smoke = process.argv.includes('--smoke');

const sizes = smoke
  ? {
      raw: 5_000,
      ingestSeconds: 3,
      pipeline: 3_000,
      steadySeconds: 3,
      rates: [200, 500],
      profile: 2_000,
    }
  : {
      raw: 200_000,
      ingestSeconds: 20,
      pipeline: 200_000,
      steadySeconds: 20,
      rates: [1_000, 5_000],
      profile: 60_000,
    };

const say = (msg: string): void => {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

async function main(): Promise<void> {
  const started = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-bench-'));
  mkdirSync(join(workDir, 'profiles'));
  const before = machine(repoRoot);
  const { brokers, registryUrl, stack } = await benchStack(workDir, say);
  const stackPids = stack ? readStackPids(stack.dataDir) : new Map<string, number>();
  const receiver = await startReceiver(repoRoot);
  const rulesFile = join(workDir, 'rules.yaml');
  writeFileSync(
    rulesFile,
    readFileSync(join(repoRoot, 'deploy', 'local', 'rules', 'demo.yaml'), 'utf8').replace(
      'http://localhost:8090/inbox',
      `${receiver.url}/inbox`,
    ),
  );
  const kafka = benchKafka(brokers, 'bench', createLogger('bench', 'warn'));
  const env: BenchEnv = {
    repoRoot,
    workDir,
    brokers,
    registryUrl,
    rulesFile,
    receiverUrl: receiver.url,
    kafka,
  };
  const run = randomBytes(3).toString('hex');
  const prefix = (part: string) => `bench-${run}-${part}.`;
  const live: ServiceProcess[] = [];
  const result: Partial<BenchResult> = { smoke, sizes, machine: before, external: !stack };

  try {
    say(`1. Kafka's own limit: ${sizes.raw} records of 700 bytes, 6 partitions`);
    result.kafka = await kafkaLimit(kafka, `${prefix('limit')}raw`, sizes.raw);
    say(`   ${JSON.stringify(result.kafka)}`);

    say(`2. ingest under autocannon, ${sizes.ingestSeconds} s per endpoint`);
    const ingestProfile = join(workDir, 'profiles', 'ingest.cpuprofile');
    const ingest = await startBenchService(env, 'ingest', prefix('ingest'), {
      NODE_OPTIONS: `--require ${join(repoRoot, 'bench', 'dist', 'profile.preload.js')}`,
      BENCH_CPU_PROFILE: ingestProfile,
    });
    live.push(ingest);
    const cpuIngest0 = cpuSeconds(ingest.process.pid!);
    ingest.process.kill('SIGUSR2');
    const single = await ingestLoad(ingest.url, 'bench-key', {
      batch: 1,
      connections: 64,
      seconds: sizes.ingestSeconds,
      seed: 11,
    });
    ingest.process.kill('SIGUSR2');
    await waitForFile(ingestProfile);
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
    result.ingest = {
      single,
      batch,
      cpuSeconds: cpuSeconds(ingest.process.pid!) - cpuIngest0,
      peakRssMb: peakRssMb(ingest.process.pid!) ?? NaN,
      profile: existsSync(ingestProfile) ? summarize(ingestProfile) : undefined,
    };
    await ingest.stop();
    live.splice(live.indexOf(ingest), 1);

    say(`3. pipeline: ${sizes.pipeline} RawLeads on leads.raw, then every stage as a process`);
    const pipePrefix = prefix('pipe');
    const brokerCpu0 = stackPids.has('kafka broker')
      ? cpuSeconds(stackPids.get('kafka broker')!)
      : 0;
    const through = await throughputRun(env, receiver, pipePrefix, sizes.pipeline, {
      timeoutMs: smoke ? 60_000 : 420_000,
    });
    live.push(...through.services.values());
    say(
      `   delivered ${through.delivered}/${through.count} in ${through.wallSeconds.toFixed(1)} s ` +
        `(${(through.count / through.fromReadySeconds).toFixed(0)} leads/s from ready)`,
    );
    result.pipeline = {
      ...through,
      services: undefined,
      brokerCpuSeconds: stackPids.has('kafka broker')
        ? cpuSeconds(stackPids.get('kafka broker')!) - brokerCpu0
        : NaN,
    };
    result.memory = Object.fromEntries(
      STAGES.map((s) => [s, peakRssMb(through.services.get(s)!.process.pid!) ?? NaN]),
    ) as Record<StageName, number>;

    say('   Avro encode/decode of a RawLead and a RoutedLead from this run');
    const routed = await firstRouted(env, pipePrefix);
    const rawSample = rawLeads(1, 'bench-kafka')();
    result.avro = avroFigures(rawSample, routed, smoke ? 0.3 : 1.5);

    say(
      `4. speed-to-lead at ${sizes.rates.join(' and ')} leads/s offered, ${sizes.steadySeconds} s each`,
    );
    const steadyIngest = await startBenchService(env, 'ingest', pipePrefix);
    live.push(steadyIngest);
    const steady: BenchResult['steady'] = [];
    for (const rate of sizes.rates) {
      const key = rate === sizes.rates[0] ? 'bench-1k' : 'bench-5k';
      const source = rate === sizes.rates[0] ? 'steady-1k' : 'steady-5k';
      const before4 = (await receiver.stats()).distinct;
      const paced = await pacedLoad(steadyIngest.url, key, {
        rate,
        seconds: sizes.steadySeconds,
        seed: 20 + rate,
      });
      const drainDeadline = Date.now() + (smoke ? 30_000 : 120_000);
      while (
        (await receiver.stats()).distinct < before4 + paced.accepted &&
        Date.now() < drainDeadline
      )
        await sleep(250);
      const outcomes = await deliveredOutcomes(
        env,
        pipePrefix,
        { [source]: paced.accepted },
        60_000,
      );
      const ms = (outcomes.get(source) ?? [])
        .filter((o) => o.status === 'DELIVERED')
        .map((o) => o.speed_to_lead_ms ?? o.completed_at - o.received_at)
        .sort((a, b) => a - b);
      steady.push({
        ...paced,
        delivered: ms.length,
        p50: percentile(ms, 50),
        p99: percentile(ms, 99),
        max: ms[ms.length - 1] ?? NaN,
      });
      say(`   ${rate}/s: ${JSON.stringify(steady[steady.length - 1])}`);
    }
    result.steady = steady;
    result.ingestSteadyPeakRssMb = peakRssMb(steadyIngest.process.pid!) ?? NaN;
    for (const s of [...live].reverse()) await s.stop();
    live.length = 0;

    const slowest = STAGES.reduce((a, b) =>
      through.cpuSeconds[a] >= through.cpuSeconds[b] ? a : b,
    );
    say(`6. CPU profile of every stage, ${sizes.profile} leads; slowest by CPU: ${slowest}`);
    const profDir = join(workDir, 'profiles');
    const profiled = await throughputRun(env, receiver, prefix('prof'), sizes.profile, {
      timeoutMs: smoke ? 60_000 : 240_000,
      serviceEnv: (stage) => ({
        NODE_OPTIONS: `--require ${join(repoRoot, 'bench', 'dist', 'profile.preload.js')}`,
        BENCH_CPU_PROFILE: join(profDir, `${stage}.cpuprofile`),
      }),
      onReady: (services) => {
        for (const service of services.values()) service.process.kill('SIGUSR2');
      },
    });
    const profiles: BenchResult['profiles'] = {};
    for (const service of profiled.services.values()) service.process.kill('SIGUSR2');
    for (const [stage, service] of profiled.services) {
      const file = join(profDir, `${stage}.cpuprofile`);
      await waitForFile(file);
      await service.stop();
      if (!existsSync(file)) continue;
      profiles[stage] = summarize(file);
    }
    result.profiles = profiles;
    result.slowest = slowest;
  } finally {
    for (const s of live) await s.kill();
    await receiver.stop();
    result.machineAfter = machine(repoRoot);
    result.seconds = (Date.now() - started) / 1000;
    await stack?.stop();
    // the broker's log dirs hold ~2 GB of bench topics; the profiles and result.json stay
    if (stack) rmSync(stack.dataDir, { recursive: true, force: true });
  }

  const entry = renderEntry(result as BenchResult);
  const json = join(workDir, 'result.json');
  writeFileSync(json, JSON.stringify(result, null, 2));
  if (smoke) {
    process.stdout.write(`\n${entry}\n`);
    say(`smoke run done in ${result.seconds?.toFixed(0)} s; not recorded (raw figures: ${json})`);
  } else {
    appendFileSync(join(repoRoot, 'bench', 'RESULTS.md'), `\n${entry}`);
    process.stdout.write(`\n${entry}\n`);
    say(`appended to bench/RESULTS.md in ${result.seconds?.toFixed(0)} s (raw figures: ${json})`);
  }
}

async function waitForFile(file: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!existsSync(file) && Date.now() < deadline) await sleep(100);
  await sleep(200); // the profile is written in one call; let it finish
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

function readStackPids(dataDir: string): Map<string, number> {
  try {
    const list = JSON.parse(readFileSync(join(dataDir, 'pids.json'), 'utf8')) as {
      name: string;
      pid: number;
    }[];
    return new Map(list.map((p) => [p.name, p.pid]));
  } catch {
    return new Map();
  }
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

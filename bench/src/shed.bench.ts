/**
 * Load shedding at ingest's door (issue 13, point 4): ingest and the pipeline's first stage
 * (normalizer) as processes; first the sustainable rate of single-lead POSTs, found by stepping
 * an open-model load up until a step is not all accepted with a 202 p99 under 500 ms; then 3x
 * and 5x that rate offered open-model for a fixed time, with shedding on (the defaults) and off
 * (INGEST_SHED=off, the control): the share shed, the 202 p50/p99 from the scheduled send time,
 * and the normalizer's consumer lag on leads.raw each second. Appends an entry to
 * bench/RESULTS.md and writes bench/shed-lag-<date>.svg.
 *
 *   npm run bench:shed                 # builds first; ~10 minutes on 2 cores
 *   npm run bench:shed -- --smoke      # tiny sizes, prints the entry without recording it
 *   npm run bench:shed -- --seconds 30 --rate 1500   # a longer offer, a given sustainable rate
 *
 * Uses KAFKA_BROKERS and SCHEMA_REGISTRY_URL when both are set, else starts a local stack.
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ServiceProcess } from '@lead-router/local-stack';
import { MetricNames, createLogger } from '@lead-router/observability';
import { prefixedTopics } from '@lead-router/schemas';
import type { Admin } from 'kafkajs';
import { benchKafka, benchStack } from './bench.stack';
import { preparePrefix, startBenchService, type BenchEnv } from './pipeline.part';
import {
  cpuSeconds,
  machine,
  peakRssMb,
  scrape,
  sleep,
  sumMetric,
  type Machine,
} from './proc.stats';
import { CONNECTIONS, openLoad, type OpenLoadFigures } from './shed.part';

const repoRoot = resolve(__dirname, '..', '..');
const argv = process.argv.slice(2);
const smoke = argv.includes('--smoke');
const flag = (name: string): number | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? Number(argv[i + 1]) : undefined;
};
const sizes = smoke
  ? { stepSeconds: 2, steps: [200, 400], seconds: 3, timeoutMs: 30_000 }
  : {
      stepSeconds: 8,
      steps: [100, 150, 250, 400, 600, 800, 1_000, 1_500, 2_000, 3_000, 4_000],
      seconds: flag('--seconds') ?? 20,
      timeoutMs: 120_000,
    };
const givenRate = flag('--rate');
const connections = flag('--connections') ?? CONNECTIONS;
const SUSTAINED_P99_MS = 500;

const say = (msg: string): void => {
  process.stdout.write(`[bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

interface LagSample {
  t: number;
  lag: number;
}

interface OverloadRun {
  factor: number;
  shedding: boolean;
  load: OpenLoadFigures;
  lag: LagSample[];
  lagMax: number;
  /** when the last request was due */
  lagAtSendEnd: number;
  /** when the last answer came back */
  lagAtEnd: number;
  ingestCpuSeconds: number;
  ingestPeakRssMb: number;
  /** lead_router_ingest_shed_total by reason, from ingest's /metrics at the end */
  shedReasons: Record<string, number>;
}

const SHED_REASONS = [
  'open_requests',
  'pending_leads',
  'event_loop_delay',
  'heap',
  'rss',
  'kafka_unavailable',
];

async function shedReasons(ingest: ServiceProcess): Promise<Record<string, number>> {
  const text = await scrape(ingest.url);
  return Object.fromEntries(
    SHED_REASONS.map((reason) => [reason, sumMetric(text, MetricNames.ingestShed, { reason })]),
  );
}

/** A few seconds at an easy rate first, so a run does not measure a cold process. */
async function warmUp(ingest: ServiceProcess, rate: number): Promise<void> {
  await openLoad(ingest.url, 'bench-key', { rate, seconds: 3, seed: 1, timeoutMs: 30_000 });
}

/** The normalizer group's lag on leads.raw: end offsets minus its committed offsets. */
async function firstStageLag(admin: Admin, prefix: string): Promise<number> {
  const topic = prefixedTopics(prefix).topics.raw;
  const { groups } = await admin.listGroups();
  const group = groups.find((g) => g.groupId.startsWith(prefix) && g.groupId.includes('normal'));
  const ends = await admin.fetchTopicOffsets(topic);
  if (!group) return ends.reduce((sum, p) => sum + Number(p.high), 0);
  const [committed] = await admin.fetchOffsets({ groupId: group.groupId, topics: [topic] });
  const at = new Map(committed?.partitions.map((p) => [p.partition, Number(p.offset)]) ?? []);
  return ends.reduce(
    (sum, p) => sum + Math.max(0, Number(p.high) - Math.max(0, at.get(p.partition) ?? 0)),
    0,
  );
}

/** Samples the lag once a second until `done` settles; returns the samples. */
async function sampleLag(
  admin: Admin,
  prefix: string,
  t0: number,
  done: Promise<unknown>,
): Promise<LagSample[]> {
  const samples: LagSample[] = [];
  let finished = false;
  void done.finally(() => (finished = true));
  while (!finished) {
    try {
      samples.push({ t: (performance.now() - t0) / 1000, lag: await firstStageLag(admin, prefix) });
    } catch {
      // a slow admin call under load: skip this second
    }
    await sleep(1000 - ((performance.now() - t0) % 1000));
  }
  return samples;
}

async function startPair(
  env: BenchEnv,
  prefix: string,
  shedding: boolean,
): Promise<{ ingest: ServiceProcess; normalizer: ServiceProcess }> {
  await preparePrefix(env, prefix);
  const [ingest, normalizer] = await Promise.all([
    startBenchService(env, 'ingest', prefix, { INGEST_SHED: shedding ? 'on' : 'off' }),
    startBenchService(env, 'normalizer', prefix),
  ]);
  return { ingest: ingest!, normalizer: normalizer! };
}

async function main(): Promise<void> {
  const started = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-bench-shed-'));
  const before = machine(repoRoot);
  const { brokers, registryUrl, stack } = await benchStack(workDir, say);
  const kafka = benchKafka(brokers, 'bench-shed', createLogger('bench', 'warn'));
  const admin = kafka.admin();
  await admin.connect();
  const env: BenchEnv = {
    repoRoot,
    workDir,
    brokers,
    registryUrl,
    rulesFile: '',
    receiverUrl: '',
    kafka,
  };
  const run = randomBytes(3).toString('hex');
  const prefix = (part: string) => `bench-${run}-${part}.`;
  const live: ServiceProcess[] = [];
  const steps: (OpenLoadFigures & { lagAtEnd: number })[] = [];
  const runs: OverloadRun[] = [];
  let sustainable = givenRate ?? 0;
  let noStepPassed = false;
  try {
    if (givenRate === undefined) {
      say(`1. sustainable rate: ${sizes.stepSeconds} s per step, shedding on`);
      const pair = await startPair(env, prefix('steps'), true);
      live.push(pair.ingest, pair.normalizer);
      await warmUp(pair.ingest, sizes.steps[0]!);
      for (const rate of sizes.steps) {
        const load = await openLoad(pair.ingest.url, 'bench-key', {
          rate,
          seconds: sizes.stepSeconds,
          seed: rate,
          timeoutMs: sizes.timeoutMs,
          connections,
        });
        const lagAtEnd = await firstStageLag(admin, prefix('steps'));
        steps.push({ ...load, lagAtEnd });
        say(`   ${rate}/s: ${JSON.stringify(load)} lag ${lagAtEnd}`);
        if (load.accepted < load.sent || load.ackP99 > SUSTAINED_P99_MS) break;
        sustainable = rate;
      }
      await Promise.all([pair.ingest.stop(), pair.normalizer.stop()]);
      live.length = 0;
      if (sustainable === 0) {
        sustainable = sizes.steps[0]!;
        noStepPassed = true;
      }
    }
    say(`   sustainable: ${sustainable} leads/s`);

    let n = 0;
    for (const factor of [3, 5]) {
      for (const shedding of [true, false]) {
        n++;
        const rate = sustainable * factor;
        say(
          `2.${n} ${factor}x = ${rate}/s for ${sizes.seconds} s, shedding ${shedding ? 'on' : 'off'}`,
        );
        const p = prefix(`x${factor}-${shedding ? 'on' : 'off'}`);
        const pair = await startPair(env, p, shedding);
        live.push(pair.ingest, pair.normalizer);
        await warmUp(pair.ingest, Math.min(sustainable, 500));
        const shed0 = await shedReasons(pair.ingest);
        const cpu0 = cpuSeconds(pair.ingest.process.pid!);
        const t0 = performance.now();
        const loading = openLoad(pair.ingest.url, 'bench-key', {
          rate,
          seconds: sizes.seconds,
          seed: 100 + n,
          timeoutMs: sizes.timeoutMs,
          connections,
        });
        const sampling = sampleLag(admin, p, t0, loading);
        const load = await loading;
        const lag = await sampling;
        const lagAtEnd = await firstStageLag(admin, p);
        const shed1 = await shedReasons(pair.ingest);
        const atSendEnd = lag.filter((s) => s.t <= sizes.seconds).at(-1)?.lag ?? NaN;
        runs.push({
          factor,
          shedding,
          load,
          lag: [...lag, { t: (performance.now() - t0) / 1000, lag: lagAtEnd }],
          lagMax: Math.max(lagAtEnd, ...lag.map((s) => s.lag)),
          lagAtSendEnd: atSendEnd,
          lagAtEnd,
          ingestCpuSeconds: cpuSeconds(pair.ingest.process.pid!) - cpu0,
          ingestPeakRssMb: peakRssMb(pair.ingest.process.pid!) ?? NaN,
          shedReasons: Object.fromEntries(
            SHED_REASONS.map((k) => [k, (shed1[k] ?? 0) - (shed0[k] ?? 0)]),
          ),
        });
        say(`   ${JSON.stringify(load)} lag max ${runs.at(-1)!.lagMax} end ${lagAtEnd}`);
        await Promise.all([pair.ingest.stop(), pair.normalizer.stop()]);
        live.length = 0;
      }
    }
  } finally {
    await Promise.allSettled(live.map((s) => s.stop()));
    await admin.disconnect();
    await stack?.stop();
  }
  const after = machine(repoRoot);
  const date = new Date().toISOString();
  const svgName = `shed-lag-${date.slice(0, 10)}.svg`;
  const entry = renderEntry({
    date,
    seconds: (Date.now() - started) / 1000,
    before,
    after,
    external: !stack,
    sustainable,
    given: givenRate !== undefined,
    noStepPassed,
    steps,
    runs,
    svgName,
  });
  process.stdout.write(`\n${entry}\n`);
  if (!smoke) {
    appendFileSync(join(repoRoot, 'bench', 'RESULTS.md'), `\n${entry}`);
    writeFileSync(join(repoRoot, 'bench', svgName), lagSvg(runs));
    say(`appended to bench/RESULTS.md; wrote bench/${svgName}`);
  }
}

const int = (v: number) => (Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : '–');
const ms = (v: number) => (Number.isFinite(v) ? `${int(v)} ms` : '–');
const pct = (part: number, whole: number) =>
  whole > 0 ? `${((100 * part) / whole).toFixed(1)} %` : '–';

function renderEntry(r: {
  date: string;
  seconds: number;
  before: Machine;
  after: Machine;
  external: boolean;
  sustainable: number;
  given: boolean;
  noStepPassed: boolean;
  steps: (OpenLoadFigures & { lagAtEnd: number })[];
  runs: OverloadRun[];
  svgName: string;
}): string {
  const load = (m: Machine) => m.loadAverage.map((v) => v.toFixed(2)).join(' / ');
  const lines = [
    `## Load shedding at ingest's door (issue 13, point 4)`,
    '',
    `- **Date:** ${r.date}, ${r.seconds.toFixed(0)} s for the whole session`,
    `- **Machine:** \`nproc\` = ${r.before.nproc}, ${r.before.cpuModel}, ${r.before.memoryGb.toFixed(1)} GB RAM, Node ${r.before.node}; load average at start ${load(r.before)}, at end ${load(r.after)} (shared machine: other engineers' tests ran at the same time)`,
    `- **Commit:** \`${r.before.commit}\`${r.before.dirty ? ' with uncommitted changes' : ''}`,
    `- **Kafka:** ${r.external ? 'an existing local stack (KAFKA_BROKERS)' : 'a local stack started by the bench'}, on the same cores; ingest and normalizer as processes with the bench's settings, the generator (undici, ${connections} connections) in the bench process`,
    `- **Reproduce:** \`npm run bench:shed\` (\`-- --rate <n>\` skips the search, \`-- --seconds <n>\` sets the offer's length, \`-- --connections <n>\` the generator's connections)`,
    '',
    `### 1. Sustainable rate (single-lead POST /v1/leads, open model, shedding on)`,
    '',
  ];
  if (r.given) lines.push(`Given on the command line: ${int(r.sustainable)} leads/s.`, '');
  else {
    lines.push(
      `| offered | sent | accepted | shed | 202 p50 | 202 p99 | normalizer lag after |`,
      `| --- | --- | --- | --- | --- | --- | --- |`,
      ...r.steps.map(
        (s) =>
          `| ${int(s.offeredPerSec)}/s | ${int(s.sent)} | ${int(s.accepted)} | ${int(s.shed + s.kafkaUnavailable)} | ${ms(s.ackP50)} | ${ms(s.ackP99)} | ${int(s.lagAtEnd)} |`,
      ),
      '',
      r.noStepPassed
        ? `**No step was all accepted with a 202 p99 under ${SUSTAINED_P99_MS} ms**; the lowest, ${int(r.sustainable)} leads/s, is taken as the sustainable rate.`
        : `**Sustainable: ${int(r.sustainable)} leads/s** (the highest step all accepted with a 202 p99 under ${SUSTAINED_P99_MS} ms).`,
      '',
    );
  }
  lines.push(
    `### 2. ${r.runs[0]?.load.seconds ?? ''} s at 3x and 5x, shedding on (defaults) beside off (\`INGEST_SHED=off\`)`,
    '',
    `Latencies count from each request's scheduled send time. Lag: the normalizer group's lag on leads.raw, sampled each second ([chart](${r.svgName})).`,
    '',
    `| offered | shedding | sent | 202 | shed 503 | other / errors | 202 p50 | 202 p99 | 503 p99 | last answer after | lag max | lag when sending stopped | lag at end | generator late p99 / client queue max | ingest CPU / peak RSS |`,
    `| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |`,
    ...r.runs.map(
      (x) =>
        `| ${x.factor}x = ${int(x.load.offeredPerSec)}/s | ${x.shedding ? 'on' : 'off'} | ${int(x.load.sent)} | ${int(x.load.accepted)} (${pct(x.load.accepted, x.load.sent)}) | ${int(x.load.shed + x.load.kafkaUnavailable)} (${pct(x.load.shed + x.load.kafkaUnavailable, x.load.sent)}) | ${int(x.load.other)} / ${int(x.load.errors)} | ${ms(x.load.ackP50)} | ${ms(x.load.ackP99)} | ${ms(x.load.shedP99)} | ${x.load.drainSeconds.toFixed(1)} s | ${int(x.lagMax)} | ${int(x.lagAtSendEnd)} | ${int(x.lagAtEnd)} | ${ms(x.load.sendLateP99)} / ${int(x.load.clientQueuedMax)} | ${x.ingestCpuSeconds.toFixed(1)} s / ${int(x.ingestPeakRssMb)} MB |`,
    ),
    '',
    `Shed by reason (\`lead_router_ingest_shed_total\`): ${r.runs
      .filter((x) => x.shedding)
      .map(
        (x) =>
          `${x.factor}x: ${
            Object.entries(x.shedReasons)
              .filter(([, v]) => v > 0)
              .map(([k, v]) => `${k} ${int(v)}`)
              .join(', ') || 'none'
          }`,
      )
      .join('; ')}.`,
    '',
  );
  return lines.join('\n');
}

/** The normalizer's lag through each overload run, one line per run: a plain SVG. */
function lagSvg(runs: OverloadRun[]): string {
  const [W, H] = [760, 320];
  const pad = { left: 70, right: 170, top: 30, bottom: 40 };
  const maxT = Math.max(1, ...runs.flatMap((r) => r.lag.map((s) => s.t)));
  const maxLag = Math.max(1, ...runs.flatMap((r) => r.lag.map((s) => s.lag)));
  const plotW = W - pad.left - pad.right;
  const plotH = H - pad.top - pad.bottom;
  const x = (t: number) => pad.left + (t / maxT) * plotW;
  const y = (v: number) => pad.top + plotH - (v / maxLag) * plotH;
  const colours = ['#2166ac', '#b2182b', '#4393c3', '#d6604d'];
  const paths = runs
    .map((r, i) => {
      const d = r.lag
        .map((s, j) => `${j === 0 ? 'M' : 'L'}${x(s.t).toFixed(1)},${y(s.lag).toFixed(1)}`)
        .join(' ');
      const dash = r.shedding ? '' : ' stroke-dasharray="5,3"';
      const label = `${r.factor}x, shedding ${r.shedding ? 'on' : 'off'}`;
      return (
        `<path d="${d}" fill="none" stroke="${colours[i % 4]}" stroke-width="1.5"${dash}/>` +
        `<text x="${W - pad.right + 8}" y="${pad.top + 14 + i * 16}" font-size="11" fill="${colours[i % 4]}">${label}</text>`
      );
    })
    .join('\n');
  const ticks = [0, 0.25, 0.5, 0.75, 1]
    .map(
      (f) =>
        `<text x="${pad.left - 6}" y="${(y(maxLag * f) + 4).toFixed(1)}" font-size="11" text-anchor="end">${Math.round(maxLag * f)}</text>`,
    )
    .join('');
  const tTicks = Array.from({ length: 6 }, (_, i) => (maxT * i) / 5)
    .map(
      (t) =>
        `<text x="${x(t).toFixed(1)}" y="${H - pad.bottom + 16}" font-size="11" text-anchor="middle">${Math.round(t)}</text>`,
    )
    .join('');
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}" viewBox="0 0 ${W} ${H}" font-family="sans-serif">
<rect width="${W}" height="${H}" fill="white"/>
<text x="${pad.left}" y="18" font-size="13">normalizer lag on leads.raw (records) under 3x and 5x the sustainable rate</text>
${paths}
<line x1="${pad.left}" y1="${pad.top + plotH}" x2="${W - pad.right}" y2="${pad.top + plotH}" stroke="#333"/>
<line x1="${pad.left}" y1="${pad.top}" x2="${pad.left}" y2="${pad.top + plotH}" stroke="#333"/>
${ticks}${tTicks}
<text x="${pad.left + plotW / 2}" y="${H - 8}" font-size="11" text-anchor="middle">seconds since the first request was due</text>
</svg>
`;
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

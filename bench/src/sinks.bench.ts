/**
 * The sink benchmark (issue 10, acceptance): each CRM sink, three instances of it, against its
 * fake with 5% random 5xx, a rate-limit burst and a total outage in the middle, beside one
 * sink-webhook whose speed-to-lead must not suffer from the outage; then a fault-free throughput
 * run of all four sinks, one after another on the same leads. Exits non-zero when an acceptance
 * check fails; `--record` appends the dated entry to bench/RESULTS.md.
 *
 *   npm run bench:sinks                       # builds first; ~15 minutes on 2 cores
 *   npm run bench:sinks -- --record           # the same, and appends the entry
 *   BENCH_SINK_LEADS=1000 BENCH_SINK_RATE=40 BENCH_SINK_OUTAGE_S=15 BENCH_SINK_BURST_S=5 \
 *     BENCH_THROUGHPUT_LEADS=2000 npm run bench:sinks   # a short run, ~3 minutes
 *
 * Uses KAFKA_BROKERS and SCHEMA_REGISTRY_URL when both are set, else starts a local stack
 * (BENCH_STACK_DIR, the data dir of a stack started beforehand, lets it sample the broker's CPU).
 * Needs Redis (REDIS_URL, default redis://127.0.0.1:6379) and PostgreSQL (PG_URL).
 */
import { randomBytes } from 'node:crypto';
import { appendFileSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BatchingProducer, type AvroCodec } from '@lead-router/kafka';
import type { ServiceProcess } from '@lead-router/local-stack';
import { MetricNames, createLogger } from '@lead-router/observability';
import type { DeliveryOutcome, RoutedLead } from '@lead-router/schemas';
import { Pool } from 'pg';
import {
  preparePrefix,
  startBenchService,
  startReceiver,
  type BenchEnv,
  type Receiver,
  type ServiceName,
} from './pipeline.part';
import { cpuSeconds, machine, percentile, scrape, sleep, sumMetric } from './proc.stats';
import {
  CREDENTIAL_ENV,
  DESTINATION,
  collectOutcomes,
  peakInWindow,
  produceRouted,
  routedLead,
  sinksRulesYaml,
  startCrmFake,
  waitWithProgress,
  writeRules,
  type CrmFake,
  type CrmSink,
  type OutcomeCollector,
  type SinkType,
  envNumber,
} from './sinks.part';
import {
  renderSinksEntry,
  type FaultRun,
  type SinksResult,
  type ThroughputFigures,
} from './sinks-results.entry';
import { speedChartSvg } from './speed-chart.svg';
import { benchKafka, benchStack } from './bench.stack';

const repoRoot = resolve(__dirname, '..', '..');
const record = process.argv.includes('--record');
const PG_URL = process.env['PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

const config = {
  leads: envNumber('BENCH_SINK_LEADS', 10_000),
  rate: envNumber('BENCH_SINK_RATE', 40),
  outageSeconds: envNumber('BENCH_SINK_OUTAGE_S', 120),
  burstSeconds: envNumber('BENCH_SINK_BURST_S', 15),
  /**
   * Leads captured in the first seconds are left out of the speed-to-lead windows (not out of
   * any other check): they measure the sinks' start-up (groups joining, first connections; a
   * p99 of 3-4 s in the first full run), not the outage.
   */
  warmupSeconds: envNumber('BENCH_SINK_WARMUP_S', 15),
  errorRate: envNumber('BENCH_SINK_ERROR_RATE', 0.05),
  instances: envNumber('BENCH_SINK_INSTANCES', 3),
  throughputLeads: envNumber('BENCH_THROUGHPUT_LEADS', 10_000),
  drainTimeoutSeconds: envNumber('BENCH_SINK_DRAIN_S', 900),
  /**
   * A control: the outage window is kept and measured, but the fake stays up, so the webhook's
   * p99 "during" it shows what the same minutes of the run look like without an outage.
   */
  shamOutage: process.env['BENCH_SINK_SHAM_OUTAGE'] === '1',
  /** The CRM destinations' breaker.half_open_after (e.g. `2m`); the default 30s when unset. */
  halfOpenAfter: process.env['BENCH_SINK_HALF_OPEN'],
  sinks: (process.env['BENCH_SINKS'] ?? 'salesforce,hubspot')
    .split(',')
    .filter((s) => s !== '') as CrmSink[],
  /**
   * Short enough that the run ends, long enough in sum (8.8 min) that a lead whose attempts fall
   * in the outage outlives it: open-circuit waits do not use attempts, but the requests that open
   * the circuit and the failed half-open probes do.
   */
  retryDelays: ['5s', '15s', '30s', '1m', '2m', '2m', '2m', '2m'],
};

const say = (msg: string): void => {
  process.stdout.write(`[bench:sinks ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

const SERVICE: Readonly<Record<SinkType, ServiceName>> = {
  salesforce: 'sink-salesforce',
  hubspot: 'sink-hubspot',
  postgres: 'sink-postgres',
  webhook: 'sink-webhook',
};

async function main(): Promise<void> {
  const started = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-bench-sinks-'));
  const before = machine(repoRoot);
  const { brokers, registryUrl, stack } = await benchStack(workDir, say);
  const stackDir = stack?.dataDir ?? process.env['BENCH_STACK_DIR'];
  brokerPid = stackDir ? readStackPids(stackDir).get('kafka broker') : undefined;
  const receiver = await startReceiver(repoRoot);
  const kafka = benchKafka(brokers, 'bench-sinks', createLogger('bench', 'warn'));
  const env: BenchEnv = {
    repoRoot,
    workDir,
    brokers,
    registryUrl,
    rulesFile: '',
    receiverUrl: receiver.url,
    kafka,
  };
  const run = randomBytes(3).toString('hex');
  const producer = BatchingProducer.create(kafka, { ackTimeoutMs: 60_000 });
  await producer.connect();
  const result: Partial<SinksResult> = { config, machine: before, external: !stack, faults: [] };
  const checks: { what: string; ok: boolean; detail: string }[] = [];
  try {
    for (const sink of config.sinks) {
      const fault = await faultRun(env, receiver, producer, sink, `bench-sinks-${run}-${sink}.`);
      result.faults!.push(fault);
      checks.push(...fault.checks);
      writeFileSync(
        join(workDir, `speed-${sink}.svg`),
        speedChartSvg(fault.series, fault.windows, sink),
      );
    }
    if (config.throughputLeads > 0) {
      result.throughput = await throughputRun(
        env,
        receiver,
        producer,
        `bench-sinks-${run}-tp.`,
        run,
      );
      checks.push(...result.throughput.checks);
    }
  } finally {
    await producer.disconnect();
    await receiver.stop();
    result.machineAfter = machine(repoRoot);
    result.seconds = (Date.now() - started) / 1000;
    await stack?.stop();
    if (stack) rmSync(stack.dataDir, { recursive: true, force: true });
  }
  result.checks = checks;
  const entry = renderSinksEntry(result as SinksResult);
  const json = join(workDir, 'result.json');
  writeFileSync(
    json,
    JSON.stringify({ ...result, faults: result.faults?.map((f) => ({ ...f })) }, null, 2),
  );
  process.stdout.write(`\n${entry}\n`);
  if (record) {
    appendFileSync(join(repoRoot, 'bench', 'RESULTS.md'), `\n${entry}`);
    for (const fault of result.faults ?? []) {
      writeFileSync(
        join(repoRoot, 'bench', `sinks-speed-${fault.sink}.svg`),
        speedChartSvg(fault.series, fault.windows, fault.sink),
      );
    }
    say(`appended to bench/RESULTS.md (raw figures: ${json})`);
  } else {
    say(`not recorded (add --record); raw figures and charts in ${workDir}`);
  }
  const failed = checks.filter((c) => !c.ok);
  for (const c of checks) say(`${c.ok ? 'PASS' : 'FAIL'} ${c.what}: ${c.detail}`);
  if (failed.length > 0) {
    say(`${failed.length} acceptance check(s) failed`);
    process.exitCode = 1;
  }
}

/** The local broker's pid, when the bench knows the stack (its own, or BENCH_STACK_DIR). */
let brokerPid: number | undefined;

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

interface Started {
  service: ServiceProcess;
  cpu0: number;
}

async function startSinks(
  env: BenchEnv,
  type: SinkType,
  count: number,
  prefix: string,
  rulesFile: string,
  extra: Record<string, string> = {},
): Promise<Started[]> {
  const services = await Promise.all(
    Array.from({ length: count }, () =>
      startBenchService(env, SERVICE[type], prefix, {
        ...CREDENTIAL_ENV,
        ROUTING_RULES_FILE: rulesFile,
        PG_URL,
        ...extra,
      }),
    ),
  );
  return services.map((service) => ({ service, cpu0: cpuSeconds(service.process.pid!) }));
}

function cpuOf(s: Started): number {
  return cpuSeconds(s.service.process.pid!) - s.cpu0;
}

/**
 * One CRM sink through the faults: leads produced at a steady rate (open model: the rate does not
 * slow down when the sinks do), each to the CRM destination and the webhook; 5% random 5xx all
 * along, a rate-limit burst at a tenth of the way, the outage centred on the middle.
 */
async function faultRun(
  env: BenchEnv,
  receiver: Receiver,
  producer: BatchingProducer,
  sink: CrmSink,
  prefix: string,
): Promise<FaultRun> {
  const { leads: total, rate } = config;
  say(
    `fault run ${sink}: ${total} leads at ${rate}/s to ${DESTINATION[sink]} (${config.instances} ` +
      `instances) and ${DESTINATION.webhook} (1 sink-webhook); ${config.errorRate * 100}% 5xx, ` +
      `${config.burstSeconds} s rate-limit burst, ${config.outageSeconds} s outage`,
  );
  const codec = await preparePrefix(env, prefix);
  const fake = await startCrmFake(sink);
  const rulesFile = writeRules(
    env.workDir,
    prefix,
    sinksRulesYaml({
      ...(sink === 'salesforce' ? { salesforceUrl: fake.url } : { hubspotUrl: fake.url }),
      inboxUrl: `${receiver.url}/inbox`,
      retryDelays: config.retryDelays,
      ...(config.halfOpenAfter ? { halfOpenAfter: config.halfOpenAfter } : {}),
    }),
  );
  const outcomes = await collectOutcomes(env, codec, prefix);
  const started: Started[] = [];
  try {
    const [webhook, crm] = await Promise.all([
      startSinks(env, 'webhook', 1, prefix, rulesFile),
      startSinks(env, sink, config.instances, prefix, rulesFile),
    ]);
    started.push(...webhook!, ...crm!);
    const posts0 = (await receiver.stats()).posts;
    fake.failRandomly(config.errorRate, 10);

    const durationMs = (total / rate) * 1000;
    const outageAt = Math.max(0, durationMs / 2 - (config.outageSeconds * 1000) / 2);
    // A tenth of the way in, and over before the outage when the run is long enough for both.
    const burstAt = Math.max(
      0,
      Math.min(durationMs * 0.1, outageAt - config.burstSeconds * 1000 - 5_000),
    );
    const windows = { burst: [NaN, NaN], outage: [NaN, NaN] } as FaultRun['windows'];
    const produced: RoutedLead[] = [];
    const t0 = Date.now();
    const timers: NodeJS.Timeout[] = [];
    timers.push(
      setTimeout(() => {
        windows.burst = [Date.now(), Date.now() + config.burstSeconds * 1000];
        fake.throttle(config.burstSeconds * 1000);
        say(`${sink}: rate-limit burst on for ${config.burstSeconds} s`);
      }, burstAt),
      setTimeout(() => {
        windows.outage[0] = Date.now();
        if (!config.shamOutage) void fake.outage(true);
        say(`${sink}: outage ${config.shamOutage ? 'window (sham: the fake stays up)' : 'on'}`);
        timers.push(
          setTimeout(() => {
            windows.outage[1] = Date.now();
            if (!config.shamOutage) void fake.outage(false);
            say(`${sink}: outage off`);
          }, config.outageSeconds * 1000),
        );
      }, outageAt),
    );
    const crmId = DESTINATION[sink];
    const progress = () =>
      `${sink}: produced ${produced.length}/${total}; outcomes ${crmId} ${outcomes.count(crmId)}, ` +
      `${DESTINATION.webhook} ${outcomes.count(DESTINATION.webhook)}; records ${fake.recordCount()}; ` +
      `requests ${fake.apiRequests().length}`;
    const cpuSamples: FaultRun['cpuSamples'] = [];
    const sampleCpu = () =>
      cpuSamples.push({
        t: (Date.now() - t0) / 1000,
        crm: crm!.reduce((sum, x) => sum + cpuSeconds(x.service.process.pid!), 0),
        webhook: cpuSeconds(webhook![0]!.service.process.pid!),
        broker: brokerPid === undefined ? NaN : cpuSeconds(brokerPid),
      });
    sampleCpu();
    const sampler = setInterval(sampleCpu, 5_000);
    let nextSay = t0 + 10_000;
    // Paced in 50 ms ticks against the clock, so a slow tick is made up by the next one.
    while (produced.length < total) {
      const due = Math.min(total, Math.floor(((Date.now() - t0) / 1000) * rate));
      const batch: RoutedLead[] = [];
      for (let i = produced.length; i < due; i++)
        batch.push(routedLead(prefix, i, [sink, 'webhook']));
      if (batch.length > 0) {
        produced.push(...batch);
        await produceRouted(producer, codec, prefix, batch);
      }
      if (Date.now() >= nextSay) {
        say(progress());
        nextSay += 10_000;
      }
      await sleep(50);
    }
    const producedMs = Date.now() - t0;
    // The outage may still be on if the run is shorter than it: wait for its end.
    while (!Number.isFinite(windows.outage[1])) await sleep(200);
    const drained = await waitWithProgress(
      () => outcomes.count(crmId) >= total && outcomes.count(DESTINATION.webhook) >= total,
      progress,
      { timeoutMs: config.drainTimeoutSeconds * 1000, everyMs: 10_000, say },
    );
    const endMs = Date.now();
    clearInterval(sampler);
    sampleCpu();
    for (const t of timers) clearTimeout(t);
    // A late duplicate outcome would show up within a few seconds more.
    await sleep(3_000);
    if (!drained)
      say(`${sink}: not every lead has an outcome after ${config.drainTimeoutSeconds} s`);
    const cpu = {
      crm: crm!.map(cpuOf),
      webhook: cpuOf(webhook![0]!),
    };
    const metrics = await scrape(crm![0]!.service.url);
    const fault = measureFault(sink, fake, produced, outcomes, windows, {
      t0,
      producedMs,
      endMs,
      cpu,
      webhookPosts: (await receiver.stats()).posts - posts0,
      drained,
      metricsSample: metrics,
      cpuSamples,
    });
    say(
      `${sink}: done; webhook p99 during the outage ${fault.webhook.during.p99} ms, ` +
        `outside ${fault.webhook.outside.p99} ms (ratio ${fault.webhook.ratio.toFixed(2)})`,
    );
    return fault;
  } finally {
    await Promise.all(started.map((s) => s.service.stop()));
    await outcomes.stop();
    await fake.close();
  }
}

/** Cores each part kept busy, on average, between `from` and `to` seconds (CPU-s per s). */
function coresBusy(
  samples: FaultRun['cpuSamples'],
  from: number,
  to: number,
): { crm: number; webhook: number; broker: number } {
  const inside = samples.filter((x) => x.t >= from && x.t <= to);
  const a = inside[0];
  const b = inside[inside.length - 1];
  if (!a || !b || b.t <= a.t) return { crm: NaN, webhook: NaN, broker: NaN };
  const dt = b.t - a.t;
  return {
    crm: (b.crm - a.crm) / dt,
    webhook: (b.webhook - a.webhook) / dt,
    broker: (b.broker - a.broker) / dt,
  };
}

function speedStats(ms: number[]): { count: number; p50: number; p99: number; max: number } {
  const sorted = [...ms].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50: percentile(sorted, 50),
    p99: percentile(sorted, 99),
    max: sorted[sorted.length - 1] ?? NaN,
  };
}

function measureFault(
  sink: CrmSink,
  fake: CrmFake,
  produced: RoutedLead[],
  outcomes: OutcomeCollector,
  windows: FaultRun['windows'],
  t: {
    t0: number;
    producedMs: number;
    endMs: number;
    cpu: { crm: number[]; webhook: number };
    webhookPosts: number;
    drained: boolean;
    metricsSample: string;
    cpuSamples: FaultRun['cpuSamples'];
  },
): FaultRun {
  const crmId = DESTINATION[sink];
  const webhookId = DESTINATION.webhook;
  const total = produced.length;
  const crmPairs = outcomes.pairs(crmId);
  const webhookPairs = outcomes.pairs(webhookId);
  const status = (pairs: Map<string, DeliveryOutcome[]>) => {
    const counts: Record<string, number> = {};
    for (const list of pairs.values())
      for (const o of list) counts[o.status] = (counts[o.status] ?? 0) + 1;
    return counts;
  };
  const duplicates = (pairs: Map<string, DeliveryOutcome[]>) =>
    [...pairs.values()].filter((l) => l.length > 1).length;
  const missing = (pairs: Map<string, DeliveryOutcome[]>) =>
    produced.filter((l) => !pairs.has(l.lead.lead_id)).length;

  let withRecord = 0;
  let rightOwner = 0;
  let rewritten = 0;
  const recordIds = new Set<string>();
  const recordOf = fake.snapshot();
  for (const lead of produced) {
    const r = recordOf(lead);
    if (!r) continue;
    withRecord++;
    recordIds.add(r.id);
    if (r.owner === lead.destinations.find((d) => d.id === crmId)?.owner_id) rightOwner++;
    if (r.writes > 1) rewritten++;
  }
  const outcomeNamesRecord = produced.filter((lead) => {
    const o = crmPairs.get(lead.lead.lead_id)?.[0];
    return o?.status === 'DELIVERED' && o.external_id === recordOf(lead)?.id;
  }).length;

  const [outageStart, outageEnd] = windows.outage;
  const receivedAt = new Map(produced.map((l) => [l.lead.lead_id, l.lead.received_at]));
  const inOutage = (at: number) => at >= outageStart && at < outageEnd;
  const warmupEnd = t.t0 + config.warmupSeconds * 1000;
  const webhookSpeeds = {
    warmup: [] as number[],
    during: [] as number[],
    before: [] as number[],
    after: [] as number[],
  };
  const series: FaultRun['series'] = [];
  const bucketMs = 5_000;
  const buckets = new Map<number, { webhook: number[]; crmDelivered: number }>();
  for (const [leadId, list] of webhookPairs) {
    const o = list[0]!;
    if (o.status !== 'DELIVERED') continue;
    const at = receivedAt.get(leadId) ?? o.received_at;
    const ms = o.speed_to_lead_ms;
    if (at < warmupEnd) webhookSpeeds.warmup.push(ms);
    else if (inOutage(at)) webhookSpeeds.during.push(ms);
    else if (at < outageStart) webhookSpeeds.before.push(ms);
    else webhookSpeeds.after.push(ms);
    const b = Math.floor((at - t.t0) / bucketMs);
    const bucket = buckets.get(b) ?? { webhook: [], crmDelivered: 0 };
    bucket.webhook.push(ms);
    buckets.set(b, bucket);
  }
  const crmSpeeds: number[] = [];
  for (const list of crmPairs.values()) {
    const o = list[0]!;
    if (o.status !== 'DELIVERED') continue;
    crmSpeeds.push(o.speed_to_lead_ms);
    const b = Math.floor((o.completed_at - t.t0) / bucketMs);
    const bucket = buckets.get(b) ?? { webhook: [], crmDelivered: 0 };
    bucket.crmDelivered++;
    buckets.set(b, bucket);
  }
  for (const [b, v] of [...buckets].sort((x, y) => x[0] - y[0])) {
    const sorted = [...v.webhook].sort((x, y) => x - y);
    series.push({
      t: (b * bucketMs) / 1000,
      webhookP99: percentile(sorted, 99),
      webhookP50: percentile(sorted, 50),
      crmDelivered: v.crmDelivered,
    });
  }
  const during = speedStats(webhookSpeeds.during);
  const outside = speedStats([...webhookSpeeds.before, ...webhookSpeeds.after]);
  const ratio = during.p99 / outside.p99;

  const api = fake.apiRequests();
  const byStatus: Record<string, number> = {};
  for (const r of api) byStatus[String(r.status)] = (byStatus[String(r.status)] ?? 0) + 1;
  const lastCrm = Math.max(
    ...[...crmPairs.values()].map((l) => (l[0]!.status === 'DELIVERED' ? l[0]!.completed_at : 0)),
  );
  const violations = fake.violations();
  const crmStatus = status(crmPairs);
  const crmCpu = t.cpu.crm.reduce((a, b) => a + b, 0);
  const fault0 = { outage: [outageStart - t.t0, outageEnd - t.t0] as const };
  const fault: FaultRun = {
    sink,
    leads: total,
    instances: t.cpu.crm.length,
    producedSeconds: t.producedMs / 1000,
    drainedSeconds: (t.endMs - t.t0) / 1000,
    drained: t.drained,
    windows: {
      burst: [windows.burst[0] - t.t0, windows.burst[1] - t.t0],
      outage: [outageStart - t.t0, outageEnd - t.t0],
    },
    crm: {
      outcomes: crmStatus,
      missing: missing(crmPairs),
      duplicateOutcomes: duplicates(crmPairs),
      records: fake.recordCount(),
      leadsWithRecord: withRecord,
      distinctRecordIds: recordIds.size,
      rightOwner,
      rewritten,
      outcomeNamesRecord,
      violations: violations.map((v) => `${v.rule}: ${v.reason}`),
      apiRequests: api.length,
      requestsByStatus: byStatus,
      tokenRequests: fake.tokenRequests(),
      peakPer10s: peakInWindow(
        api.filter((r) => r.status !== 0),
        10_000,
      ),
      leadsPerSecond: total / ((lastCrm - t.t0) / 1000),
      speed: speedStats(crmSpeeds),
      cpuSeconds: t.cpu.crm,
      cpuUsPerLead: (crmCpu / total) * 1e6,
      retried: {
        attempt: sumMetric(t.metricsSample, MetricNames.sinkRetried, { reason: 'attempt' }),
        circuit: sumMetric(t.metricsSample, MetricNames.sinkRetried, { reason: 'circuit' }),
        quota: sumMetric(t.metricsSample, MetricNames.sinkRetried, { reason: 'quota' }),
        budget: sumMetric(t.metricsSample, MetricNames.sinkRetried, { reason: 'budget' }),
      },
      maxAttempts: Math.max(0, ...[...crmPairs.values()].map((l) => l[0]!.attempts)),
    },
    webhook: {
      outcomes: status(webhookPairs),
      missing: missing(webhookPairs),
      duplicateOutcomes: duplicates(webhookPairs),
      posts: t.webhookPosts,
      warmup: speedStats(webhookSpeeds.warmup),
      before: speedStats(webhookSpeeds.before),
      during,
      after: speedStats(webhookSpeeds.after),
      outside,
      ratio,
      cpuSeconds: t.cpu.webhook,
      cpuUsPerLead: (t.cpu.webhook / total) * 1e6,
    },
    series,
    cpuSamples: t.cpuSamples,
    coresBusy: {
      before: coresBusy(t.cpuSamples, config.warmupSeconds, fault0.outage[0] / 1000),
      during: coresBusy(t.cpuSamples, fault0.outage[0] / 1000, fault0.outage[1] / 1000),
      after: coresBusy(t.cpuSamples, fault0.outage[1] / 1000, t.producedMs / 1000),
    },
    checks: [],
  };
  const ok = (what: string, pass: boolean, detail: string) =>
    fault.checks.push({ what: `${sink}: ${what}`, ok: pass, detail });
  ok(
    'every lead has an outcome per destination',
    t.drained,
    `all in ${fault.drainedSeconds.toFixed(0)} s after the first lead`,
  );
  ok(
    'one record per lead, by external id',
    withRecord === total && recordIds.size === total && fault.crm.records === total,
    `${withRecord} of ${total} leads have a record; ${recordIds.size} distinct ids; ${fault.crm.records} records in the fake`,
  );
  ok('the owner the router chose', rightOwner === total, `${rightOwner} of ${total}`);
  ok('zero violations', violations.length === 0, `${violations.length} counted by the fake`);
  ok(
    'exactly one outcome per (lead, destination), none FAILED',
    fault.crm.missing === 0 &&
      fault.webhook.missing === 0 &&
      fault.crm.duplicateOutcomes === 0 &&
      fault.webhook.duplicateOutcomes === 0 &&
      (crmStatus['DELIVERED'] ?? 0) === total &&
      (fault.webhook.outcomes['DELIVERED'] ?? 0) === total,
    `${crmId} ${JSON.stringify(crmStatus)}, ${webhookId} ${JSON.stringify(fault.webhook.outcomes)}; ` +
      `duplicates ${fault.crm.duplicateOutcomes}/${fault.webhook.duplicateOutcomes}`,
  );
  ok(
    'webhook speed-to-lead p99 during the outage within 20% of outside it',
    ratio <= 1.2,
    `${during.p99} ms vs ${outside.p99} ms = ${ratio.toFixed(2)}`,
  );
  return fault;
}

/**
 * The throughput run: `throughputLeads` leads routed to all four destinations produced up front,
 * then each sink alone (one instance) timed from its first outcome to its last, in turn on the same leads,
 * against healthy fakes, a table of this run's own and the receiver.
 */
async function throughputRun(
  env: BenchEnv,
  receiver: Receiver,
  producer: BatchingProducer,
  prefix: string,
  run: string,
): Promise<ThroughputFigures> {
  const total = config.throughputLeads;
  const codec: AvroCodec = await preparePrefix(env, prefix);
  const salesforce = await startCrmFake('salesforce');
  const hubspot = await startCrmFake('hubspot');
  const pgSchema = `bench_sinks_${run}`;
  const pool = new Pool({ connectionString: PG_URL, max: 1 });
  const rulesFile = writeRules(
    env.workDir,
    prefix,
    sinksRulesYaml({
      salesforceUrl: salesforce.url,
      hubspotUrl: hubspot.url,
      inboxUrl: `${receiver.url}/inbox`,
      pgSchema,
      retryDelays: config.retryDelays,
    }),
  );
  const outcomes = await collectOutcomes(env, codec, prefix);
  const order: SinkType[] = ['webhook', 'postgres', 'salesforce', 'hubspot'];
  const figures: ThroughputFigures = { leads: total, sinks: [], checks: [] };
  try {
    say(`throughput run: producing ${total} leads routed to all four destinations`);
    const leads: RoutedLead[] = [];
    for (let i = 0; i < total; i += 1000) {
      const batch = Array.from({ length: Math.min(1000, total - i) }, (_, k) =>
        routedLead(prefix, i + k, order),
      );
      leads.push(...batch);
      await produceRouted(producer, codec, prefix, batch);
    }
    for (const type of order) {
      const id = DESTINATION[type];
      const posts0 = (await receiver.stats()).posts;
      const spawned = Date.now();
      const [started] = await startSinks(env, type, 1, prefix, rulesFile, {
        PG_SCHEMA: pgSchema,
      });
      const progress = () => `throughput ${type}: ${outcomes.count(id)}/${total} outcomes`;
      const drained = await waitWithProgress(() => outcomes.count(id) >= total, progress, {
        timeoutMs: 600_000,
        everyMs: 10_000,
        say,
      });
      const cpu = cpuOf(started!);
      const metrics = await scrape(started!.service.url);
      await started!.service.stop();
      const list = [...outcomes.pairs(id).values()].map((l) => l[0]!);
      const completed = list.map((o) => o.completed_at).sort((a, b) => a - b);
      const first = completed[0] ?? NaN;
      const last = completed[completed.length - 1] ?? NaN;
      const delivered = list.filter((o) => o.status === 'DELIVERED').length;
      const requests =
        type === 'salesforce'
          ? salesforce.apiRequests().length
          : type === 'hubspot'
            ? hubspot.apiRequests().length
            : type === 'webhook'
              ? (await receiver.stats()).posts - posts0
              : sumMetric(metrics, `${MetricNames.sinkBatchSize}_count`);
      const entry = {
        type,
        drained,
        delivered,
        fromSpawnSeconds: (last - spawned) / 1000,
        firstToLastSeconds: (last - first) / 1000,
        // The sink may consume before its /health answers, so the rate runs from its first
        // outcome; spawn to last outcome (start-up included) is reported beside it.
        leadsPerSecond: total / ((last - first) / 1000),
        requests,
        requestsSource:
          type === 'postgres'
            ? 'statements (the sink’s batch-size count)'
            : type === 'webhook'
              ? 'POSTs the receiver counted'
              : 'requests the fake logged',
        requestsPer1000: (requests / total) * 1000,
        cpuSeconds: cpu,
        cpuUsPerLead: (cpu / total) * 1e6,
        peakPer10s: type === 'hubspot' ? peakInWindow(hubspot.apiRequests(), 10_000) : undefined,
      };
      figures.sinks.push(entry);
      say(
        `throughput ${type}: ${entry.leadsPerSecond.toFixed(0)} leads/s first to last outcome, ` +
          `${entry.requestsPer1000.toFixed(1)} requests per 1,000 leads, ${entry.cpuUsPerLead.toFixed(0)} µs CPU per lead`,
      );
      figures.checks.push({
        what: `throughput ${type}: every lead delivered`,
        ok: drained && delivered === total,
        detail: `${delivered} of ${total} DELIVERED`,
      });
    }
    const violations = [...salesforce.violations(), ...hubspot.violations()];
    figures.checks.push({
      what: 'throughput: zero violations',
      ok: violations.length === 0,
      detail: `${violations.length}`,
    });
  } finally {
    await outcomes.stop();
    await salesforce.close();
    await hubspot.close();
    await pool.query(`drop schema if exists ${pgSchema} cascade`).catch(() => undefined);
    await pool.end();
  }
  return figures;
}

main().catch((err: unknown) => {
  process.stderr.write(
    `bench:sinks failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

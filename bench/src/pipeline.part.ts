import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { type AvroCodec, BatchingProducer, ensureTopics } from '@lead-router/kafka';
import { benchCodec, benchKafka } from './bench.stack';
import { StackError, freePort, startService, type ServiceProcess } from '@lead-router/local-stack';
import { MetricNames, createLogger } from '@lead-router/observability';
import {
  prefixedTopics,
  serviceEntry,
  type RawLead,
  type SchemaName,
  type ServiceName,
  type Topics,
} from '@lead-router/schemas';
import { Partitioners, type Kafka } from 'kafkajs';
import { parse, stringify } from 'yaml';
import type { BrokerRequests, RequestMix } from './broker-requests.part';
import type { PacedLoad } from './ingest.part';
import { rawLeads } from './lead.generator';
import {
  bucketQuantile,
  cpuBetween,
  histogramBuckets,
  percentile,
  readCpu,
  readEventLoopSched,
  schedBetween,
  scrape,
  sleep,
  slotLatencies,
  sumMetric,
  SINK_REQUEST_PHASES,
  TRANSACTION_PHASES,
  TRANSACTION_STEPS,
  type CpuReading,
  type EventLoopSched,
  type SlotLatencies,
  type SinkRequestTimes,
  type TransactionTimes,
} from './proc.stats';
import { DEMO_MODE_ENV } from '@lead-router/config';

/**
 * The services a lead passes from leads.raw to the webhook receiver, in pipeline order (ingest is
 * measured apart; the other sinks and the indexer are not on a webhook lead's path).
 */
export const STAGES = ['normalizer', 'enricher', 'router', 'sink-webhook'] as const;
export type StageName = (typeof STAGES)[number];
export type { ServiceName };

/** The topics each stage consumes on a lead's path: its input, and its own internal topic. */
const STAGE_TOPICS: Record<StageName, (keyof typeof Topics)[]> = {
  normalizer: ['raw'],
  enricher: ['normalized', 'contacts'],
  router: ['enriched', 'assign'],
  'sink-webhook': ['routed'],
};

export interface BenchEnv {
  repoRoot: string;
  workDir: string;
  brokers: string;
  registryUrl: string;
  rulesFile: string;
  receiverUrl: string;
  kafka: Kafka;
}

export const API_KEYS = 'bench-key:bench-http,bench-1k:steady-1k,bench-5k:steady-5k';

/** The Standard Webhooks secret the benches' sinks sign with (WEBHOOK_SECRET). */
export const BENCH_WEBHOOK_SECRET = 'whsec_YmVuY2gtc2VjcmV0LWZvci1sZWFkLXJvdXRlci0zMmI=';

/**
 * What every bench starts a service with: the stack's addresses, the topic prefix, quiet logs,
 * loopback only, and its HTTP port.
 */
export function benchServiceEnv(
  stack: { brokers: string; registryUrl: string },
  name: ServiceName,
  prefix: string,
  port: number,
): Record<string, string> {
  return {
    ...DEMO_MODE_ENV,
    KAFKA_BROKERS: stack.brokers,
    SCHEMA_REGISTRY_URL: stack.registryUrl,
    TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    HTTP_HOST: '127.0.0.1',
    [serviceEntry(name).port.env]: String(port),
  };
}

/** Starts one service on a topic prefix, as its own process, with the bench's settings. */
export async function startBenchService(
  env: BenchEnv,
  name: ServiceName,
  prefix: string,
  extra: Record<string, string> = {},
  nodeFlags: readonly string[] = [],
): Promise<ServiceProcess> {
  const port = await freePort();
  return startService(
    name,
    {
      ...benchServiceEnv(env, name, prefix, port),
      INGEST_API_KEYS: API_KEYS,
      ROUTING_RULES_FILE: env.rulesFile,
      WEBHOOK_SECRET: BENCH_WEBHOOK_SECRET,
      // 30 s: on 2 shared cores a loaded stage can miss 10 s of heartbeats and be fenced mid-run
      KAFKA_SESSION_TIMEOUT_MS: '30000',
      ...extra,
    },
    { port, logDir: join(env.workDir, 'logs'), healthTimeoutMs: 120_000, nodeFlags },
  );
}

/**
 * The bench's webhook budget. The webhook type's default (10,000 requests per 10 s, a guard
 * against a runaway) would cap the sink at ~1,000 leads/s and the bench would measure the guard,
 * not the pipeline; this one is far above what two cores deliver, and is still enforced.
 */
export const BENCH_WEBHOOK_BUDGET = { requests: 1_000_000, per_seconds: 1 } as const;

/**
 * The demo rule set (deploy/local/rules/demo.yaml) with every lead sent to the receiver: its one
 * webhook destination pointed at `receiverUrl`, the CRM and table destinations dropped and their
 * rules, queues and owners moved onto the webhook, so every lead takes the same path to the
 * receiver whatever its country and the decision trace keeps the demo's shape.
 */
export function benchRules(demoYaml: string, receiverUrl: string): string {
  const doc = parse(demoYaml) as {
    destinations: Record<string, { type: string; url?: string; budget?: object }>;
    queues: Record<string, { members: { owners: Record<string, string> }[] }>;
    rules: { destinations: string[] }[];
    fallback: { destinations: string[] };
  };
  const [webhook, destination] = Object.entries(doc.destinations).find(
    ([, d]) => d.type === 'webhook',
  )!;
  doc.destinations = {
    [webhook]: { ...destination, url: `${receiverUrl}/inbox`, budget: BENCH_WEBHOOK_BUDGET },
  };
  for (const queue of Object.values(doc.queues))
    for (const member of queue.members)
      member.owners = { [webhook]: Object.values(member.owners)[0]! };
  for (const rule of doc.rules) rule.destinations = [webhook];
  doc.fallback.destinations = [webhook];
  return stringify(doc);
}

/**
 * The environment a bench's services run in: the demo rule set with every lead routed to the
 * receiver (`benchRules`), written to `<workDir>/rules.yaml`, and a Kafka client named `clientId`.
 */
export function benchEnvFor(opts: {
  repoRoot: string;
  workDir: string;
  brokers: string;
  registryUrl: string;
  receiver: Pick<Receiver, 'url'>;
  clientId: string;
}): BenchEnv {
  const { repoRoot, workDir, brokers, registryUrl, receiver } = opts;
  const rulesFile = join(workDir, 'rules.yaml');
  const demo = readFileSync(join(repoRoot, 'deploy', 'local', 'rules', 'demo.yaml'), 'utf8');
  writeFileSync(rulesFile, benchRules(demo, receiver.url));
  return {
    repoRoot,
    workDir,
    brokers,
    registryUrl,
    rulesFile,
    receiverUrl: receiver.url,
    kafka: benchKafka(brokers, opts.clientId, createLogger('bench', 'warn')),
  };
}

/**
 * The broker creates its transaction state topic at the first transactional producer it sees,
 * and answers "coordinator is loading" meanwhile: one committed transaction before the router
 * starts keeps a fresh broker from failing the router's InitProducerId.
 */
export async function warmTransactions(
  env: Pick<BenchEnv, 'kafka'>,
  prefix: string,
): Promise<void> {
  const topic = `${prefix}warmup`;
  await ensureTopics(env.kafka, [
    { name: topic, valueSchema: 'EnrichedLead', partitions: 1, config: {} },
  ]);
  const producer = env.kafka.producer({
    transactionalId: `${topic}.tx`,
    idempotent: true,
    maxInFlightRequests: 1,
    createPartitioner: Partitioners.DefaultPartitioner,
  });
  await producer.connect();
  const tx = await producer.transaction();
  await tx.send({ topic, messages: [{ key: 'warmup', value: 'warmup' }] });
  await tx.commit();
  await producer.disconnect();
}

/** Throws when a service the bench started has exited, naming its log. */
export function assertRunning(services: ReadonlyMap<string, ServiceProcess>): void {
  for (const [name, s] of services)
    if (s.process.exitCode !== null || s.process.signalCode !== null)
      throw new StackError(
        `${name} exited (${s.process.exitCode ?? s.process.signalCode}) during the bench; its log: ${s.logFile}`,
        'process_exited',
        { context: { name, code: s.process.exitCode } },
      );
}

/**
 * Deletes the prefix's topics at the end of a bench run on a stack that outlives it (KAFKA_BROKERS
 * named one): a broker keeps some 45 KB of heap per partition, and a stack that gathered thousands
 * of partitions from runs before ran its 512 MB heap's G1 flat out (bench/RESULTS.md, 2026-12-03
 * midday), which every later run's figures then carried.
 */
export async function dropPrefix(env: BenchEnv, prefix: string): Promise<void> {
  const admin = env.kafka.admin();
  await admin.connect();
  try {
    const topics = (await admin.listTopics()).filter((t) => t.startsWith(prefix));
    if (topics.length > 0) await admin.deleteTopics({ topics, timeout: 60_000 });
  } finally {
    await admin.disconnect();
  }
}

/** Creates a prefix's topics and registers its schemas, as a service would at start. */
export async function preparePrefix(env: BenchEnv, prefix: string): Promise<AvroCodec> {
  const { declarations } = prefixedTopics(prefix);
  await ensureTopics(env.kafka, declarations);
  // The metadata names the leaders before they take requests, and kafkajs's idempotent producer
  // fails on the NOT_LEADER it gets then: ListOffsets goes to each leader, asked again (kafkajs's
  // admin gives up on NOT_LEADER_OR_FOLLOWER) until every one answers, for up to 60 s.
  const admin = env.kafka.admin();
  await admin.connect();
  try {
    for (let deadline = Date.now() + 60_000; ;) {
      try {
        await admin.fetchTopicOffsets(prefixedTopics(prefix).topics.raw);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(500);
      }
    }
  } finally {
    await admin.disconnect();
  }
  const codec = benchCodec(env.registryUrl);
  await codec.register(declarations);
  return codec;
}

/**
 * Puts `count` RawLeads on `<prefix>leads.raw` the way a Kafka producer source would. A chunk the
 * broker refuses (a partition's leader moving on a loaded broker, which kafkajs's idempotent
 * producer then reports as out of order) is sent again from a new producer, up to 3 times; a
 * lead sent twice is delivered once (the receiver counts distinct webhook-ids).
 */
export async function produceRawLeads(
  env: BenchEnv,
  codec: AvroCodec,
  prefix: string,
  count: number,
  seed: number,
): Promise<{ seconds: number; sample: RawLead }> {
  const topic = prefixedTopics(prefix).topics.raw;
  const next = rawLeads(seed, 'bench-kafka');
  const sample = next();
  let sent = 0;
  const t0 = performance.now();
  for (let attempt = 1; ; attempt++) {
    const producer = BatchingProducer.create(env.kafka, { ackTimeoutMs: 60_000 });
    await producer.connect();
    const failed: { topic: string; key: string; value: Buffer }[][] = [];
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (sent < count && failed.length === 0) {
          const n = Math.min(1000, count - sent);
          sent += n;
          const records = Array.from({ length: n }, () => {
            const lead = next();
            return { topic, key: lead.lead_id, value: codec.encode(topic, lead) };
          });
          try {
            await producer.sendAll(records);
          } catch (err) {
            if (attempt >= 3) throw err;
            failed.push(records);
          }
        }
      }),
    );
    await producer.disconnect().catch(() => undefined);
    if (failed.length === 0) break;
    const retry = BatchingProducer.create(env.kafka, { ackTimeoutMs: 60_000 });
    await retry.connect();
    for (const records of failed) await retry.sendAll(records);
    await retry.disconnect();
  }
  const seconds = (performance.now() - t0) / 1000;
  return { seconds, sample };
}

/** A lead's first arrival at the receiver: source_lead_id, lead_id, epoch ms. */
export type Arrival = [sourceLeadId: string, leadId: string, at: number];

export interface Receiver {
  url: string;
  child: ChildProcess;
  stats(): Promise<{ distinct: number; posts: number; firstAt: number; lastAt: number }>;
  arrivals(): Promise<Arrival[]>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

/**
 * Spawns one of the bench's own servers (`bench/dist/<script>`, given a free port, after `flags`)
 * and answers once it writes its first line, which it does when it listens; rejects if it exits
 * first.
 */
export async function spawnListening(
  repoRoot: string,
  script: string,
  flags: readonly string[] = [],
  args: readonly string[] = [],
  env: NodeJS.ProcessEnv = process.env,
): Promise<{ child: ChildProcess; port: number }> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [...flags, join(repoRoot, 'bench', 'dist', script), String(port), ...args],
    { stdio: ['ignore', 'pipe', 'inherit'], env },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) =>
      reject(
        new StackError(`${script} exited with ${code} before it listened`, 'process_exited', {
          context: { code },
        }),
      ),
    );
  });
  return { child, port };
}

export async function startReceiver(repoRoot: string): Promise<Receiver> {
  const { child, port } = await spawnListening(repoRoot, 'receiver.main.js');
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    stats: async () =>
      (await (await fetch(`${url}/stats`)).json()) as Awaited<ReturnType<Receiver['stats']>>,
    arrivals: async () => (await (await fetch(`${url}/arrivals`)).json()) as Arrival[],
    reset: async () => {
      await fetch(`${url}/stats`, { method: 'DELETE' });
    },
    stop: async () => {
      if (child.exitCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    },
  };
}

export interface Sample {
  /** seconds since the phase began */
  t: number;
  delivered: number;
  /** records any stage sent to the DLQ */
  dead: number;
  /** records each stage consumed from its input topic */
  records: Record<StageName, number>;
  /** each stage's consumer lag on its input and internal topics, summed over partitions */
  lag: Record<StageName, number>;
  /**
   * Each service's event-loop delay p99 over the last scrape interval, ms (prom-client's
   * `nodejs_eventloop_lag_p99_seconds`, whose histogram it resets at every scrape).
   */
  loopP99Ms: Record<string, number>;
}

/** Per service: the median and the highest of its per-second event-loop delay p99, ms. */
export type LoopDelay = Record<string, { median: number; max: number }>;

/** Per stage: its per-record processing time and per-batch time (acked and committed), ms. */
export type StageTimes = Record<
  StageName,
  { recordP50: number; recordP99: number; batchP50: number; batchP99: number }
>;

/**
 * Samples every service's /metrics and the receiver once a second in the background while a
 * phase runs, and prints a progress line every 5 s (delivered so far, the rate over the last
 * 5 s, each stage's lag).
 */
export class Monitor {
  readonly samples: Sample[] = [];
  private firstTexts = new Map<string, string>();
  private lastTexts = new Map<string, string>();
  private running: Promise<void> | undefined;
  private stopped = false;
  private lastSay = 0;
  private readonly t0: number;

  constructor(
    private readonly services: ReadonlyMap<string, ServiceProcess>,
    private readonly receiver: Receiver,
    private readonly prefix: string,
    private readonly progress: {
      label: string;
      say: (msg: string) => void;
      expected?: number;
      /** performance.now() the samples' t counts from; default now */
      t0?: number;
    },
  ) {
    this.t0 = progress.t0 ?? performance.now();
  }

  start(): this {
    this.running = this.loop();
    return this;
  }

  get latest(): Sample | undefined {
    return this.samples[this.samples.length - 1];
  }

  async stop(): Promise<Sample[]> {
    this.stopped = true;
    await this.running;
    await this.sample();
    return this.samples;
  }

  /** The median and highest per-second event-loop delay p99 of every service sampled. */
  loopDelay(): LoopDelay {
    const out: LoopDelay = {};
    for (const name of this.services.keys()) {
      const values = this.samples
        .map((s) => s.loopP99Ms[name])
        .filter((v): v is number => v !== undefined && Number.isFinite(v))
        .sort((a, b) => a - b);
      out[name] = { median: percentile(values, 50), max: values[values.length - 1] ?? NaN };
    }
    return out;
  }

  /**
   * Per-record and per-batch times each stage's histograms counted while the monitor ran, read
   * from whichever process ran the stage (in the fused deployment the normalizer and the
   * enricher run in pipeline-fused).
   */
  stageTimes(): StageTimes {
    const times = {} as StageTimes;
    for (const stage of STAGES) {
      const record = this.busiestTimes(MetricNames.stageLatency, { stage });
      const batch = this.busiestTimes(MetricNames.batchDuration, { stage });
      times[stage] = {
        recordP50: record.p50,
        recordP99: record.p99,
        batchP50: batch.p50,
        batchP99: batch.p99,
      };
    }
    return times;
  }

  /**
   * The phases of the router's transactions while the monitor ran, from its histogram (bucket
   * upper bounds): what its two exactly-once hops wait on the broker for, chunk by chunk (the
   * match step runs in pipeline-fused in the fused deployment).
   */
  transactionTimes(): TransactionTimes {
    return TRANSACTION_STEPS.flatMap((step) =>
      TRANSACTION_PHASES.map((phase) => ({
        step,
        phase,
        ...this.busiestTimes(MetricNames.transactionPhase, { stage: step, phase }),
      })),
    );
  }

  /** `histogramTimes` of the process that counted the most observations of the series. */
  private busiestTimes(
    name: string,
    labels: Record<string, string>,
  ): { p50: number; p99: number; count: number } {
    return [...this.services.keys()]
      .map((service) => this.histogramTimes(service, name, labels))
      .reduce((best, times) => (times.count > best.count ? times : best), {
        p50: NaN,
        p99: NaN,
        count: -1,
      });
  }

  /**
   * sink-webhook's requests while the monitor ran, from its histogram (bucket upper bounds): how
   * long each waited at the gate before it was sent, and for the receiver's answer.
   */
  sinkRequestTimes(): SinkRequestTimes {
    return SINK_REQUEST_PHASES.map((phase) => ({
      phase,
      ...this.histogramTimes('sink-webhook', MetricNames.sinkRequestPhase, {
        sink: 'sink-webhook',
        phase,
      }),
    }));
  }

  /**
   * What one labelled series of `service`'s histogram `name` counted while the monitor ran: its
   * p50 and p99 in ms (bucket upper bounds) and how many observations.
   */
  private histogramTimes(
    service: string,
    name: string,
    labels: Record<string, string>,
  ): { p50: number; p99: number; count: number } {
    const before = histogramBuckets(this.firstTexts.get(service) ?? '', name, labels);
    const after = histogramBuckets(this.lastTexts.get(service) ?? '', name, labels);
    const q = (p: number) => bucketQuantile(before, after, p) * 1000;
    const total = (m: Map<number, number>) => Math.max(0, ...m.values());
    return { p50: q(0.5), p99: q(0.99), count: total(after) - total(before) };
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      await this.sample();
      if (!this.stopped) await sleep(1000 - ((performance.now() - this.t0) % 1000));
    }
  }

  private async sample(): Promise<Sample> {
    const names = [...this.services.keys()];
    const texts = await Promise.all(names.map((n) => scrape(this.services.get(n)!.url)));
    const stats = await this.receiver.stats();
    const text = (name: string) => texts[names.indexOf(name)] ?? '';
    names.forEach((n, i) => {
      if (!this.firstTexts.has(n) && texts[i] !== '') this.firstTexts.set(n, texts[i]!);
      if (texts[i] !== '') this.lastTexts.set(n, texts[i]!);
    });
    const { topics } = prefixedTopics(this.prefix);
    /** A metric summed over every process: a series is its stage's wherever the stage runs. */
    const everywhere = (metric: string, labels: Record<string, string>) =>
      texts.reduce((sum, t) => sum + sumMetric(t, metric, labels), 0);
    // A stage's input topics are read by that stage alone, in whichever process runs it (in the
    // fused deployment the normalizer, the enricher and the match step run in pipeline-fused).
    const onTopics = (stage: StageName, metric: string) =>
      STAGE_TOPICS[stage].reduce((sum, key) => sum + everywhere(metric, { topic: topics[key] }), 0);
    const sample: Sample = {
      t: (performance.now() - this.t0) / 1000,
      delivered: stats.distinct,
      dead: everywhere(MetricNames.records, { outcome: 'dlq' }),
      records: Object.fromEntries(
        STAGES.map((s) => [
          s,
          everywhere(MetricNames.records, { topic: topics[STAGE_TOPICS[s][0]!] }),
        ]),
      ) as Record<StageName, number>,
      lag: Object.fromEntries(
        STAGES.map((s) => [s, onTopics(s, MetricNames.consumerLag)]),
      ) as Record<StageName, number>,
      loopP99Ms: Object.fromEntries(
        names
          .filter((n) => text(n) !== '')
          .map((n) => [n, sumMetric(text(n), 'nodejs_eventloop_lag_p99_seconds') * 1000]),
      ),
    };
    this.samples.push(sample);
    this.report(sample);
    return sample;
  }

  private report(s: Sample): void {
    if (s.t - this.lastSay < 5) return;
    const back = [...this.samples].reverse().find((p) => p.t <= s.t - 4.5) ?? this.samples[0]!;
    const rate = s.t > back.t ? (s.delivered - back.delivered) / (s.t - back.t) : 0;
    const of = this.progress.expected ? `/${this.progress.expected.toLocaleString('en-US')}` : '';
    this.progress.say(
      `   ${this.progress.label} ${s.t.toFixed(0)} s: delivered ${s.delivered.toLocaleString('en-US')}${of}` +
        ` (${Math.round(rate).toLocaleString('en-US')}/s over the last ${(s.t - back.t).toFixed(0)} s), lag ` +
        STAGES.map((st) => `${st} ${Math.round(s.lag[st]).toLocaleString('en-US')}`).join(' · '),
    );
    this.lastSay = s.t;
  }
}

export interface ThroughputRun {
  count: number;
  produceSeconds: number;
  /** from spawning the stages to the last distinct delivery: the throughput's clock */
  wallSeconds: number;
  /** from every stage answering /health to the last distinct delivery (the old clock) */
  fromReadySeconds: number;
  /** from the first delivery to the last */
  firstToLastSeconds: number;
  startupSeconds: number;
  delivered: number;
  dead: number;
  complete: boolean;
  samples: Sample[];
  /** CPU seconds of every process from all stages ready to the last delivery */
  cpu: Record<string, number>;
  loopDelay: LoopDelay;
  stageTimes: StageTimes;
  services: Map<StageName, ServiceProcess>;
}

/**
 * `count` RawLeads on leads.raw first, then every stage started as its own process; samples each
 * stage's /metrics and the receiver every second until every lead has been delivered once. The
 * rate is timed from the stages' spawn (they consume from then), CPU from all of them ready (what
 * a lead costs, not what starting a process costs), for the stages and every pid in `otherPids`
 * (the broker, the registry, the receiver) and this process.
 */
export async function throughputRun(
  env: BenchEnv,
  receiver: Receiver,
  prefix: string,
  count: number,
  opts: {
    timeoutMs: number;
    say: (msg: string) => void;
    label: string;
    otherPids?: ReadonlyMap<string, number>;
    serviceEnv?: (stage: StageName) => Record<string, string>;
    /** Node flags for every stage, after the services' own (`SERVICE_NODE_FLAGS`). */
    nodeFlags?: readonly string[];
    onReady?: (services: Map<StageName, ServiceProcess>) => void;
  },
): Promise<ThroughputRun> {
  const codec = await preparePrefix(env, prefix);
  const produced = await produceRawLeads(env, codec, prefix, count, 7);
  await receiver.reset();
  const t0 = performance.now();
  // The stages consume from spawn: say how far they got while they start, every 5 s.
  const starting = setInterval(() => {
    void receiver
      .stats()
      .then((st) =>
        opts.say(
          `   ${opts.label} ${((performance.now() - t0) / 1000).toFixed(0)} s: stages starting, ` +
            `delivered ${st.distinct.toLocaleString('en-US')}/${count.toLocaleString('en-US')}`,
        ),
      );
  }, 5000);
  const started = await Promise.all(
    STAGES.map((s) =>
      startBenchService(env, s, prefix, opts.serviceEnv?.(s) ?? {}, opts.nodeFlags),
    ),
  ).finally(() => clearInterval(starting));
  const readyAt = performance.now();
  const services = new Map(STAGES.map((s, i) => [s, started[i]!]));
  opts.onReady?.(services);
  const pids = new Map([
    ...(opts.otherPids ?? new Map<string, number>()),
    ...STAGES.map((s) => [s, services.get(s)!.process.pid!] as const),
  ]);
  const cpu0 = readCpu(pids);
  const monitor = new Monitor(services, receiver, prefix, {
    label: opts.label,
    say: opts.say,
    expected: count,
    t0,
  }).start();
  const deadline = t0 + opts.timeoutMs;
  const done = () => (monitor.latest?.delivered ?? 0) + (monitor.latest?.dead ?? 0) >= count;
  while (!done() && performance.now() < deadline) {
    assertRunning(services);
    await sleep(250);
  }
  const cpu1 = readCpu(pids);
  const samples = await monitor.stop();
  const stats = await receiver.stats();
  const last = samples[samples.length - 1]!;
  const wallEnd = stats.lastAt > 0 ? stats.lastAt - performance.timeOrigin : performance.now();
  return {
    count,
    produceSeconds: produced.seconds,
    wallSeconds: (wallEnd - t0) / 1000,
    fromReadySeconds: (wallEnd - readyAt) / 1000,
    firstToLastSeconds: (stats.lastAt - stats.firstAt) / 1000,
    startupSeconds: (readyAt - t0) / 1000,
    delivered: stats.distinct,
    dead: last.dead,
    complete: stats.distinct + last.dead >= count,
    samples,
    cpu: cpuBetween(cpu0, cpu1),
    loopDelay: monitor.loopDelay(),
    stageTimes: monitor.stageTimes(),
    services,
  };
}

/**
 * One run's speed-to-lead, sender's slot → receiver's arrival (`SlotLatencies`: a lead accepted
 * after the warm-up but not at the receiver when the drain gave up counts as undelivered, ∞).
 */
export interface LatencyRun extends SlotLatencies {
  rate: number;
  run: number;
  seconds: number;
  warmupSeconds: number;
  sent: number;
  accepted: number;
  non2xx: number;
  errors: number;
  /** the 202 from the sender's slot, and how late the generator sent, ms */
  ackP50: number;
  ackP99: number;
  sendLateP99: number;
  /** deliveries per second from the first arrival to the last */
  deliveredPerSec: number;
  drainSeconds: number;
  samples: Sample[];
  cpu: Record<string, number>;
  /**
   * Each Node process's event loop over the run: seconds on a CPU and seconds runnable but
   * waiting for one (its main thread's schedstat)
   */
  eventLoops: Record<string, EventLoopSched>;
  loopDelay: LoopDelay;
  stageTimes: StageTimes;
  transactionTimes: TransactionTimes;
  sinkRequestTimes: SinkRequestTimes;
  /** the requests the broker handled over the run, by API (absent when they could not be read) */
  brokerRequests?: RequestMix;
}

/**
 * One open-model run against ingest at `rate` for `seconds`, then a drain until every accepted
 * lead reached the receiver (or `drainMs` passed); speed-to-lead joins the sender's schedule
 * (source_lead_id → slot) with the receiver's arrival stamps, the first `warmupSeconds` of slots
 * left out. Returns the arrivals too, for the per-hop sample.
 */
export async function latencyRun(
  { receiver, prefix, services, load }: LatencyPath,
  opts: {
    rate: number;
    run: number;
    seconds: number;
    warmupSeconds: number;
    drainMs: number;
    seed: number;
    pids: ReadonlyMap<string, number>;
    say: (msg: string) => void;
    /** the broker's request counter, when it could be attached */
    brokerRequests?: BrokerRequests;
    /** what the progress lines call the run (`<rate>/s run <run>`) */
    label?: string;
  },
): Promise<{ result: LatencyRun; arrivals: Arrival[]; slots: Map<string, number> }> {
  await receiver.reset();
  const cpu0: CpuReading = readCpu(opts.pids);
  const sched0 = readEventLoopSched(opts.pids);
  const fromMs = Date.now();
  const monitor = new Monitor(services, receiver, prefix, {
    label: opts.label ?? `${opts.rate}/s run ${opts.run}`,
    say: opts.say,
  }).start();
  const paced = await load(opts.rate, opts.seconds, opts.seed);
  const drainDeadline = performance.now() + opts.drainMs;
  while ((monitor.latest?.delivered ?? 0) < paced.accepted && performance.now() < drainDeadline) {
    assertRunning(services);
    await sleep(100);
  }
  const cpu1 = readCpu(opts.pids);
  const sched1 = readEventLoopSched(opts.pids);
  const toMs = Date.now();
  const samples = await monitor.stop();
  const brokerRequests = await opts.brokerRequests?.between(fromMs, toMs);
  const drainSeconds = (performance.now() + performance.timeOrigin - paced.startedAt) / 1000;
  const arrivals = await receiver.arrivals();
  const at = new Map(arrivals.map(([sid, , t]) => [sid, t]));
  let firstArrival = Infinity;
  let lastArrival = -Infinity;
  for (const sid of paced.slots.keys()) {
    const t = at.get(sid);
    if (t !== undefined) {
      firstArrival = Math.min(firstArrival, t);
      lastArrival = Math.max(lastArrival, t);
    }
  }
  const latencies = slotLatencies(
    [...paced.slots].map(([sid, slot]) => [slot, at.get(sid)] as const),
    paced.startedAt + opts.warmupSeconds * 1000,
  );
  const delivered = paced.accepted - [...paced.slots.keys()].filter((s) => !at.has(s)).length;
  return {
    result: {
      rate: opts.rate,
      run: opts.run,
      seconds: opts.seconds,
      warmupSeconds: opts.warmupSeconds,
      sent: paced.sent,
      accepted: paced.accepted,
      non2xx: paced.non2xx,
      errors: paced.errors,
      ackP50: paced.ackP50,
      ackP99: paced.ackP99,
      sendLateP99: paced.sendLateP99,
      ...latencies,
      // over the span the leads arrived in: as long as the send's when the pipeline keeps up
      deliveredPerSec:
        delivered <= 1 ? 0 : (delivered - 1) / Math.max(0.001, (lastArrival - firstArrival) / 1000),
      drainSeconds,
      samples,
      cpu: cpuBetween(cpu0, cpu1),
      eventLoops: schedBetween(sched0, sched1),
      loopDelay: monitor.loopDelay(),
      stageTimes: monitor.stageTimes(),
      transactionTimes: monitor.transactionTimes(),
      sinkRequestTimes: monitor.sinkRequestTimes(),
      ...(brokerRequests && { brokerRequests }),
    },
    arrivals,
    slots: paced.slots,
  };
}

/** The seed of the warm-up's leads: apart from every measured run's, so no lead is sent twice. */
const INGEST_WARMUP_SEED = 90_000;

/**
 * The ingest warm-up both benches run before speed-to-lead: leads a second (`npm run bench` takes
 * at most half the sustainable rate) for some seconds, the length measured in `bench/RESULTS.md`.
 */
export const INGEST_WARMUP = { rate: 500, seconds: 20 } as const;

/**
 * What a speed-to-lead run goes through: the services on `prefix`, the receiver, and the paced
 * load that sends leads to ingest (a rate for some seconds, its leads drawn from a seed).
 */
export interface LatencyPath {
  receiver: Receiver;
  prefix: string;
  services: ReadonlyMap<string, ServiceProcess>;
  load: (rate: number, seconds: number, seed: number) => Promise<PacedLoad>;
}

/**
 * Readies a freshly started ingest, and the path behind it, before the measured runs: a paced
 * load at `rate` for `seconds`, its leads delivered and then forgotten. Without it the first run
 * measured a JIT warming up: a new ingest offered 1,000 leads/s on two cores delivered 430–700/s
 * over its first 15 s, and that run read p99 4.2–7.2 s against 0.36–3.6 s for the next one;
 * after 20 s at 500/s, 0.39–0.84 s against 0.28–0.55 s (`bench/RESULTS.md`, 2026-12-05).
 */
export async function warmIngest(
  path: LatencyPath,
  opts: {
    rate: number;
    seconds: number;
    pids: ReadonlyMap<string, number>;
    say: (msg: string) => void;
  },
): Promise<void> {
  if (opts.seconds <= 0) return;
  const { result } = await latencyRun(path, {
    rate: opts.rate,
    run: 0,
    seconds: opts.seconds,
    warmupSeconds: 0,
    drainMs: 60_000,
    seed: INGEST_WARMUP_SEED,
    pids: opts.pids,
    say: opts.say,
    label: `ingest warm-up ${opts.rate}/s`,
  });
  opts.say(
    `ingest warm-up: ${result.accepted} leads at ${opts.rate}/s for ${opts.seconds} s, ` +
      `p99 ${result.p99.toFixed(0)} ms (not recorded)`,
  );
}

/** The points a lead's records are stamped at, in order: each hop is the gap between two. */
export const HOP_POINTS = [
  'sender slot',
  'leads.raw',
  'leads.normalized',
  'enricher.contacts (first visit)',
  'enricher.contacts (last visit)',
  'leads.enriched',
  'router.assign',
  'leads.routed',
  'receiver arrival',
  'leads.delivered',
] as const;

export interface HopLatency {
  /** leads sampled, and those found at every point */
  sampled: number;
  complete: number;
  hops: { from: string; to: string; p50: number; p99: number }[];
  /** the sum of the hops' medians against the median end to end, ms */
  endToEndP50: number;
}

const HOP_TOPICS = ['raw', 'normalized', 'contacts', 'enriched', 'assign', 'routed', 'delivered'];
/** Topics not keyed by lead id: their values are decoded to find it. */
const DECODED_TOPICS = new Set(['contacts', 'assign']);

/**
 * Per-hop latency of a sample of leads from their records' timestamps: each record's CreateTime
 * on every topic of the path (kafkajs stamps it when the producer is handed the record), the
 * sender's slot before and the receiver's arrival and the outcome on leads.delivered after. The
 * gap between two points is the producer's ack wait, the next stage's fetch wait and its
 * processing up to its send; the topics are read from the offsets at `sinceMs` on.
 */
export async function hopLatency(
  env: BenchEnv,
  prefix: string,
  sample: { leadId: string; slot: number; arrival: number }[],
  sinceMs: number,
): Promise<HopLatency> {
  const { topics, declarations } = prefixedTopics(prefix);
  const wanted = new Map(sample.map((s) => [s.leadId, s]));
  const names = HOP_TOPICS.map((k) => topics[k as keyof typeof Topics]);
  const keyOf = new Map(HOP_TOPICS.map((k, i) => [names[i]!, k]));
  const schemaOf = new Map(declarations.map((d) => [d.name, d.valueSchema as SchemaName]));
  const codec = benchCodec(env.registryUrl);
  /** lead id → topic key → [first, last] CreateTime */
  const stamps = new Map<string, Map<string, [number, number]>>();
  const admin = env.kafka.admin();
  await admin.connect();
  const starts: { topic: string; partition: number; offset: string }[] = [];
  for (const topic of names) {
    const from = await admin.fetchTopicOffsetsByTimestamp(topic, sinceMs);
    const high = await admin.fetchTopicOffsets(topic);
    for (const p of from) {
      const end = high.find((h) => h.partition === p.partition)?.high ?? '0';
      const offset = Number(p.offset) < 0 ? end : p.offset;
      if (BigInt(offset) < BigInt(end)) starts.push({ topic, partition: p.partition, offset });
    }
  }
  await admin.disconnect();
  const kafka = benchKafka(env.brokers, 'bench-hops', createLogger('bench', 'warn'));
  const consumer = kafka.consumer({ groupId: `${prefix}bench.hops.${Date.now()}` });
  let lastRecordAt = Infinity;
  consumer.on(consumer.events.GROUP_JOIN, () => {
    lastRecordAt = performance.now();
  });
  await consumer.connect();
  await consumer.subscribe({ topics: names, fromBeginning: false });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      const key = keyOf.get(batch.topic)!;
      for (const m of batch.messages) {
        let leadId = m.key?.toString() ?? '';
        if (!wanted.has(leadId) && DECODED_TOPICS.has(key) && m.value) {
          const value = await codec.decode<unknown>(m.value, schemaOf.get(batch.topic)!);
          leadId = leadIdOf(value) ?? '';
        }
        if (!wanted.has(leadId)) continue;
        const t = Number(m.timestamp);
        const per = stamps.get(leadId) ?? new Map<string, [number, number]>();
        const seen = per.get(key);
        per.set(key, seen ? [Math.min(seen[0], t), Math.max(seen[1], t)] : [t, t]);
        stamps.set(leadId, per);
      }
      lastRecordAt = performance.now();
    },
  });
  for (const s of starts) consumer.seek(s);
  // read_committed never hands over transaction markers, so "at the high watermark" cannot be
  // told per partition; the topics were written before this, so 3 s without a record is the end.
  const deadline = performance.now() + 120_000;
  while (!(performance.now() - lastRecordAt >= 3000) && performance.now() < deadline)
    await sleep(250);
  await consumer.disconnect();

  const pointsOf = (s: (typeof sample)[number]): (number | undefined)[] => {
    const per = stamps.get(s.leadId);
    const at = (k: string, i: 0 | 1) => per?.get(k)?.[i];
    return [
      s.slot,
      at('raw', 0),
      at('normalized', 0),
      at('contacts', 0),
      at('contacts', 1),
      at('enriched', 0),
      at('assign', 0),
      at('routed', 0),
      s.arrival,
      at('delivered', 0),
    ];
  };
  const all = sample.map(pointsOf);
  // A point no lead reached is not on this deployment's path (enricher.contacts is only written
  // with duplicate detection on): the chain goes without it.
  const onPath = HOP_POINTS.map(
    (_, i) => all.filter((p) => p[i] !== undefined).length > all.length / 2,
  );
  const chain = HOP_POINTS.map((name, i) => ({ name, i })).filter((p) => onPath[p.i]);
  const gaps: number[][] = chain.slice(1).map(() => []);
  const totals: number[] = [];
  let complete = 0;
  for (const [n, points] of all.entries()) {
    if (chain.some((p) => points[p.i] === undefined)) continue;
    complete++;
    for (let j = 1; j < chain.length; j++)
      gaps[j - 1]!.push(points[chain[j]!.i]! - points[chain[j - 1]!.i]!);
    totals.push(sample[n]!.arrival - sample[n]!.slot);
  }
  for (const g of gaps) g.sort((a, b) => a - b);
  totals.sort((a, b) => a - b);
  return {
    sampled: sample.length,
    complete,
    hops: gaps.map((g, j) => ({
      from: chain[j]!.name,
      to: chain[j + 1]!.name,
      p50: percentile(g, 50),
      p99: percentile(g, 99),
    })),
    endToEndP50: percentile(totals, 50),
  };
}

/** The lead id in a decoded record: its own `lead_id`, or its lead's, or its enriched lead's. */
function leadIdOf(value: unknown): string | undefined {
  const v = value as {
    lead_id?: unknown;
    lead?: { lead_id?: unknown };
    enriched?: { lead?: { lead_id?: unknown } } | null;
  } | null;
  const id = v?.lead_id ?? v?.lead?.lead_id ?? v?.enriched?.lead?.lead_id;
  return typeof id === 'string' ? id : undefined;
}

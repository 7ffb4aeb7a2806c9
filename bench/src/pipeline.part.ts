import { spawn, type ChildProcess } from 'node:child_process';
import { join } from 'node:path';
import { type AvroCodec, BatchingProducer, ensureTopics } from '@lead-router/kafka';
import { benchCodec, benchKafka } from './bench.stack';
import { StackError, freePort, startService, type ServiceProcess } from '@lead-router/local-stack';
import { MetricNames, createLogger } from '@lead-router/observability';
import {
  prefixedTopics,
  serviceEntry,
  servicesOfKind,
  type DeliveryOutcome,
  type RawLead,
} from '@lead-router/schemas';
import type { Kafka } from 'kafkajs';
import { rawLeads } from './lead.generator';
import { cpuSeconds, scrape, sleep, sumMetric } from './proc.stats';
import { DEMO_MODE_ENV } from '@lead-router/config';

/** The services that consume leads.raw onwards, in pipeline order (ingest is measured apart). */
export const STAGES = servicesOfKind('stage', 'sink').map((s) => s.name);
export type StageName = (typeof STAGES)[number];
export type ServiceName = StageName | 'ingest';

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

/** Starts one service on a topic prefix, as its own process, with the bench's settings. */
export async function startBenchService(
  env: BenchEnv,
  name: ServiceName,
  prefix: string,
  extra: Record<string, string> = {},
): Promise<ServiceProcess> {
  const port = await freePort();
  return startService(
    name,
    {
      ...DEMO_MODE_ENV,
      KAFKA_BROKERS: env.brokers,
      SCHEMA_REGISTRY_URL: env.registryUrl,
      TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      HTTP_HOST: '127.0.0.1',
      [serviceEntry(name).port.env]: String(port),
      INGEST_API_KEYS: API_KEYS,
      ROUTING_RULES_FILE: env.rulesFile,
      WEBHOOK_SECRET: 'whsec_YmVuY2gtc2VjcmV0LWZvci1sZWFkLXJvdXRlci0zMmI=',
      KAFKA_SESSION_TIMEOUT_MS: '10000',
      ...extra,
    },
    { port, logDir: join(env.workDir, 'logs'), healthTimeoutMs: 120_000 },
  );
}

/** Creates a prefix's topics and registers its schemas, as a service would at start. */
export async function preparePrefix(env: BenchEnv, prefix: string): Promise<AvroCodec> {
  const { declarations } = prefixedTopics(prefix);
  await ensureTopics(env.kafka, declarations);
  const codec = benchCodec(env.registryUrl);
  await codec.register(declarations);
  return codec;
}

/** Puts `count` RawLeads on `<prefix>leads.raw` the way a Kafka producer source would. */
export async function produceRawLeads(
  env: BenchEnv,
  codec: AvroCodec,
  prefix: string,
  count: number,
  seed: number,
): Promise<{ seconds: number; sample: RawLead }> {
  const topic = prefixedTopics(prefix).topics.raw;
  const producer = BatchingProducer.create(env.kafka, { ackTimeoutMs: 60_000 });
  await producer.connect();
  const next = rawLeads(seed, 'bench-kafka');
  const sample = next();
  let sent = 0;
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (sent < count) {
        const n = Math.min(1000, count - sent);
        sent += n;
        const records = Array.from({ length: n }, () => {
          const lead = next();
          return { topic, key: lead.lead_id, value: codec.encode(topic, lead) };
        });
        await producer.sendAll(records);
      }
    }),
  );
  const seconds = (performance.now() - t0) / 1000;
  await producer.disconnect();
  return { seconds, sample };
}

export interface Receiver {
  url: string;
  child: ChildProcess;
  stats(): Promise<{ distinct: number; posts: number; firstAt: number; lastAt: number }>;
  reset(): Promise<void>;
  stop(): Promise<void>;
}

export async function startReceiver(repoRoot: string): Promise<Receiver> {
  const port = await freePort();
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'bench', 'dist', 'receiver.main.js'), String(port)],
    {
      stdio: ['ignore', 'pipe', 'inherit'],
    },
  );
  await new Promise<void>((resolve, reject) => {
    child.stdout?.once('data', () => resolve());
    child.once('exit', (code) =>
      reject(
        new StackError(`the bench receiver exited with ${code}`, 'process_exited', {
          context: { code },
        }),
      ),
    );
  });
  const url = `http://127.0.0.1:${port}`;
  return {
    url,
    child,
    stats: async () =>
      (await (await fetch(`${url}/stats`)).json()) as Awaited<ReturnType<Receiver['stats']>>,
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
  t: number;
  delivered: number;
  /** records any stage sent to the DLQ */
  dead: number;
  records: Record<StageName, number>;
  lag: Record<StageName, number>;
}

export interface ThroughputRun {
  count: number;
  produceSeconds: number;
  /** from spawning the stages to the last distinct delivery */
  wallSeconds: number;
  /** from every stage answering /health to the last distinct delivery */
  fromReadySeconds: number;
  /** from the first delivery to the last */
  firstToLastSeconds: number;
  startupSeconds: number;
  delivered: number;
  dead: number;
  complete: boolean;
  samples: Sample[];
  cpuSeconds: Record<StageName, number>;
  services: Map<StageName, ServiceProcess>;
}

/**
 * `count` RawLeads on leads.raw first, then every stage started as its own process; samples each
 * stage's /metrics and the receiver every second until every lead has been delivered once.
 */
export async function throughputRun(
  env: BenchEnv,
  receiver: Receiver,
  prefix: string,
  count: number,
  opts: {
    timeoutMs: number;
    serviceEnv?: (stage: StageName) => Record<string, string>;
    onReady?: (services: Map<StageName, ServiceProcess>) => void;
  },
): Promise<ThroughputRun> {
  const codec = await preparePrefix(env, prefix);
  const produced = await produceRawLeads(env, codec, prefix, count, 7);
  await receiver.reset();
  const t0 = performance.now();
  const started = await Promise.all(
    STAGES.map((s) => startBenchService(env, s, prefix, opts.serviceEnv?.(s) ?? {})),
  );
  const readyAt = performance.now();
  const services = new Map(STAGES.map((s, i) => [s, started[i]!]));
  opts.onReady?.(services);
  const cpu0 = Object.fromEntries(
    STAGES.map((s) => [s, cpuSeconds(services.get(s)!.process.pid!)]),
  ) as Record<StageName, number>;
  const samples: Sample[] = [];
  const deadline = t0 + opts.timeoutMs;
  let stats = await receiver.stats();
  let dead = 0;
  while (stats.distinct + dead < count && performance.now() < deadline) {
    const texts = await Promise.all(STAGES.map((s) => scrape(services.get(s)!.url)));
    stats = await receiver.stats();
    dead = texts.reduce(
      (sum, text) => sum + sumMetric(text, MetricNames.records, { outcome: 'dlq' }),
      0,
    );
    samples.push({
      t: (performance.now() - t0) / 1000,
      delivered: stats.distinct,
      dead,
      records: Object.fromEntries(
        STAGES.map((s, i) => [s, sumMetric(texts[i]!, MetricNames.records, { stage: s })]),
      ) as Record<StageName, number>,
      lag: Object.fromEntries(
        STAGES.map((s, i) => [s, sumMetric(texts[i]!, MetricNames.consumerLag, { stage: s })]),
      ) as Record<StageName, number>,
    });
    if (stats.distinct + dead < count) await sleep(1000 - ((performance.now() - t0) % 1000));
  }
  stats = await receiver.stats();
  const doneAt = stats.lastAt > 0 ? stats.lastAt : Date.now();
  const wallEnd = performance.now() - (Date.now() - doneAt);
  return {
    count,
    produceSeconds: produced.seconds,
    wallSeconds: (wallEnd - t0) / 1000,
    fromReadySeconds: (wallEnd - readyAt) / 1000,
    firstToLastSeconds: (stats.lastAt - stats.firstAt) / 1000,
    startupSeconds: (readyAt - t0) / 1000,
    delivered: stats.distinct,
    dead,
    complete: stats.distinct + dead >= count,
    samples,
    cpuSeconds: Object.fromEntries(
      STAGES.map((s) => [s, cpuSeconds(services.get(s)!.process.pid!) - cpu0[s]]),
    ) as Record<StageName, number>,
    services,
  };
}

/** Reads every DeliveryOutcome on a prefix's leads.delivered and keeps those of `sources`. */
export async function deliveredOutcomes(
  env: BenchEnv,
  prefix: string,
  expected: Record<string, number>,
  timeoutMs: number,
): Promise<Map<string, DeliveryOutcome[]>> {
  const topic = prefixedTopics(prefix).topics.delivered;
  const codec = benchCodec(env.registryUrl);
  const kafka = benchKafka(env.brokers, 'bench-delivered', createLogger('bench', 'warn'));
  const consumer = kafka.consumer({ groupId: `${prefix}bench.delivered.${Date.now()}` });
  const found = new Map<string, DeliveryOutcome[]>(Object.keys(expected).map((s) => [s, []]));
  const complete = () => [...found].every(([s, list]) => list.length >= (expected[s] ?? 0));
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    eachBatch: async ({ batch }) => {
      for (const m of batch.messages) {
        const outcome = await codec.decode<DeliveryOutcome>(m.value, 'DeliveryOutcome');
        found.get(outcome.source)?.push(outcome);
      }
    },
  });
  const deadline = Date.now() + timeoutMs;
  while (!complete() && Date.now() < deadline) await sleep(250);
  await consumer.disconnect();
  return found;
}

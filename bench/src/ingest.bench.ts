/**
 * Single-lead and batch ingest against raw kafkajs produce of the same records (issue 15), in one
 * session: each round produces Avro RawLeads straight to Kafka (chunks of 500, 4 in flight, the
 * pipeline's idempotent producer) and loads, as it will load ingest, a bare node:http server
 * (`http-floor.main.ts`, HTTP's own limit here), NestJS on Fastify with one empty controller
 * (`nest-floor.main.ts`, the framework alone) and the same controller writing each body to Kafka
 * before its 202 (the framework and the durable write, nothing else of ingest's). Then it runs
 * every ingest variant in turn under autocannon — single-lead POST /v1/leads at 64 connections,
 * then batches of 100 at 4 connections — and reads the ingest process's CPU from /proc. The
 * variants' order alternates by round, so a machine that gets busier during the session does not
 * favour one of them.
 *
 *   node bench/dist/ingest.bench.js [--rounds 3] [--seconds 10] [--profile <variant>] \
 *     [--variant <name>=<repo root>]... [--variant-env <name>:<KEY>=<value>]... \
 *     [--stack-dir <data dir of a running stack>]
 *
 * A variant is a repository root (or a copy of one holding the built services/ingest and libs),
 * with environment of its own if given: the default is this repository as "current". Uses
 * KAFKA_BROKERS and SCHEMA_REGISTRY_URL when both are set, else starts a local stack; the
 * broker's CPU is reported for the stack this bench starts, or the one --stack-dir names.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, openSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { DEMO_MODE_ENV } from '@lead-router/config';
import { BatchingProducer, ensureTopics, type OutgoingRecord } from '@lead-router/kafka';
import { SERVICE_NODE_FLAGS, freePort, waitFor } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import { prefixedTopics, serviceEntry } from '@lead-router/schemas';
import type { Kafka } from 'kafkajs';
import { benchCodec, benchKafka, benchStack } from './bench.stack';
import { printProfile, profilerEnv } from './cpu-profile';
import {
  floorTopic,
  httpFloorLoad,
  ingestLoad,
  type HttpFloorFigures,
  type IngestFigures,
} from './ingest.part';
import { kafkaLimit } from './kafka-limit.part';
import { rawLeads } from './lead.generator';
import { cpuSeconds, peakRssMb } from './proc.stats';

const repoRoot = resolve(__dirname, '..', '..');

function option(name: string): string[] {
  const values: string[] = [];
  process.argv.forEach((arg, i) => {
    if (arg === `--${name}` && process.argv[i + 1] !== undefined) values.push(process.argv[i + 1]!);
  });
  return values;
}

const rounds = Number(option('rounds')[0] ?? 3);
const seconds = Number(option('seconds')[0] ?? 10);
const profiled = option('profile')[0];
const variants: [string, string][] = option('variant').map((v) => {
  const at = v.indexOf('=');
  if (at <= 0) throw new Error(`--variant expects <name>=<repo root>, got "${v}"`);
  return [v.slice(0, at), resolve(v.slice(at + 1))];
});
if (variants.length === 0) variants.push(['current', repoRoot]);
const variantEnv = new Map<string, Record<string, string>>();
for (const v of option('variant-env')) {
  const match = /^([^:]+):([A-Z0-9_]+)=(.*)$/.exec(v);
  if (match === null) throw new Error(`--variant-env expects <name>:<KEY>=<value>, got "${v}"`);
  const [, name, key, value] = match as unknown as [string, string, string, string];
  variantEnv.set(name, { ...variantEnv.get(name), [key]: value });
}

/** The broker's pid, from the pids.json a local stack writes into its data directory. */
function brokerPid(dataDir: string | undefined): number | undefined {
  if (dataDir === undefined) return undefined;
  try {
    const list = JSON.parse(readFileSync(join(dataDir, 'pids.json'), 'utf8')) as {
      name: string;
      pid: number;
    }[];
    return list.find((p) => p.name === 'kafka broker')?.pid;
  } catch {
    return undefined;
  }
}

const say = (msg: string): void => {
  process.stdout.write(`[ingest-bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

interface Produced {
  records: number;
  recordBytes: number;
  msgsPerSec: number;
  /** the broker's CPU per record while they were produced; NaN without the broker's pid */
  brokerUsPerRecord: number;
}

/**
 * Raw kafkajs produce of the records ingest writes: Avro RawLeads, each distinct, encoded before
 * the clock starts, sent as the pipeline's producer sends (idempotent, acks=all).
 */
async function rawProduce(
  kafka: Kafka,
  registryUrl: string,
  prefix: string,
  count: number,
  broker: number | undefined,
): Promise<Produced> {
  const { declarations, topics } = prefixedTopics(prefix);
  await ensureTopics(kafka, declarations);
  const codec = benchCodec(registryUrl);
  await codec.register(declarations.filter((d) => d.name === topics.raw));
  const next = rawLeads(7, 'bench-raw');
  const records: OutgoingRecord[] = Array.from({ length: count }, () => {
    const lead = next();
    return { topic: topics.raw, key: lead.lead_id, value: codec.encode(topics.raw, lead) };
  });
  const producer = BatchingProducer.create(kafka, { ackTimeoutMs: 60_000 });
  await producer.connect();
  const chunk = 500;
  let sent = 0;
  const brokerCpu = (): number => (broker === undefined ? NaN : cpuSeconds(broker));
  const broker0 = brokerCpu();
  const t0 = performance.now();
  await Promise.all(
    Array.from({ length: 4 }, async () => {
      while (sent < count) {
        const from = sent;
        sent = Math.min(count, sent + chunk);
        await producer.sendAll(records.slice(from, sent));
      }
    }),
  );
  const secs = (performance.now() - t0) / 1000;
  const brokerUsPerRecord = ((brokerCpu() - broker0) * 1e6) / count;
  await producer.disconnect();
  const bytes = records.reduce((sum, r) => sum + (r.value?.length ?? 0), 0);
  return {
    records: count,
    recordBytes: Math.round(bytes / count),
    msgsPerSec: count / secs,
    brokerUsPerRecord,
  };
}

interface Ingest {
  child: ChildProcess;
  url: string;
  exited: Promise<void>;
}

async function startIngest(
  root: string,
  env: Record<string, string>,
  logFile: string,
): Promise<Ingest> {
  const port = await freePort();
  const { entry, healthPath, port: portEnv } = serviceEntry('ingest');
  const out = openSync(logFile, 'a');
  const child = spawn(process.execPath, [...SERVICE_NODE_FLAGS, join(root, entry)], {
    env: {
      ...process.env,
      ...DEMO_MODE_ENV,
      LOG_LEVEL: 'warn',
      HTTP_HOST: '127.0.0.1',
      INGEST_API_KEYS: 'bench-key:bench-http',
      [portEnv.env]: String(port),
      ...env,
    },
    stdio: ['ignore', out, out],
  });
  const exited = new Promise<void>((done) => child.once('exit', () => done()));
  const url = `http://127.0.0.1:${port}`;
  let healthy = false;
  await Promise.race([
    exited.then(() => {
      if (!healthy) throw new Error(`ingest exited before it was healthy; see ${logFile}`);
    }),
    waitFor(async () => (await fetch(`${url}${healthPath}`)).status === 200, {
      timeoutMs: 120_000,
      what: `ingest ${healthPath}`,
      intervalMs: 200,
    }),
  ]);
  healthy = true;
  return { child, url, exited };
}

interface VariantRun {
  round: number;
  variant: string;
  single: IngestFigures;
  batch: IngestFigures;
  singleCpuUsPerLead: number;
  batchCpuUsPerLead: number;
  /** the broker's CPU over the same windows, per lead; NaN without the broker's pid */
  singleBrokerUsPerLead: number;
  batchBrokerUsPerLead: number;
  peakRssMb: number;
}

async function runVariant(
  round: number,
  [variant, root]: [string, string],
  brokers: string,
  registryUrl: string,
  workDir: string,
  broker: number | undefined,
): Promise<VariantRun> {
  const profile = join(workDir, `ingest-${variant}-${round}.cpuprofile`);
  const profiling = profiled === variant && round === 1;
  const ingest = await startIngest(
    root,
    {
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl,
      TOPIC_PREFIX: `h4b-${variant}.`,
      ...variantEnv.get(variant),
      ...(profiling ? profilerEnv(repoRoot, profile) : {}),
    },
    join(workDir, `ingest-${variant}-${round}.log`),
  );
  const pid = ingest.child.pid!;
  try {
    // JIT and the producer's first metadata before the clock: 3 s of the same load, not counted.
    await ingestLoad(ingest.url, 'bench-key', { batch: 1, connections: 64, seconds: 3, seed: 1 });
    if (profiling) ingest.child.kill('SIGUSR2');
    const brokerCpu = (): number => (broker === undefined ? NaN : cpuSeconds(broker));
    const cpu0 = cpuSeconds(pid);
    const broker0 = brokerCpu();
    const single = await ingestLoad(ingest.url, 'bench-key', {
      batch: 1,
      connections: 64,
      seconds,
      seed: 10 + round,
    });
    const cpu1 = cpuSeconds(pid);
    const broker1 = brokerCpu();
    if (profiling) ingest.child.kill('SIGUSR2');
    const batch = await ingestLoad(ingest.url, 'bench-key', {
      batch: 100,
      connections: 4,
      seconds,
      seed: 20 + round,
    });
    const cpu2 = cpuSeconds(pid);
    const broker2 = brokerCpu();
    const singleLeads = single.leadsPerSec * seconds;
    const batchLeads = batch.leadsPerSec * seconds;
    return {
      round,
      variant,
      single,
      batch,
      singleCpuUsPerLead: ((cpu1 - cpu0) * 1e6) / singleLeads,
      batchCpuUsPerLead: ((cpu2 - cpu1) * 1e6) / batchLeads,
      singleBrokerUsPerLead: ((broker1 - broker0) * 1e6) / singleLeads,
      batchBrokerUsPerLead: ((broker2 - broker1) * 1e6) / batchLeads,
      peakRssMb: peakRssMb(pid) ?? NaN,
    };
  } finally {
    ingest.child.kill('SIGTERM');
    await ingest.exited;
    if (profiling && existsSync(profile)) printProfile(say, variant, profile, repoRoot);
  }
}

const fmt = (n: number, digits = 0): string =>
  n.toLocaleString('en-US', { maximumFractionDigits: digits, minimumFractionDigits: digits });

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-ingest-bench-'));
  const { brokers, registryUrl, stack } = await benchStack(workDir, say);
  const broker = brokerPid(stack?.dataDir ?? option('stack-dir')[0]);
  const kafka = benchKafka(brokers, 'ingest-bench', createLogger('bench', 'warn'));
  const run = randomBytes(3).toString('hex');
  const produced: Produced[] = [];
  const limits: number[] = [];
  const floors: HttpFloorFigures[] = [];
  const nestFloors: HttpFloorFigures[] = [];
  const nestKafkaFloors: HttpFloorFigures[] = [];
  const runs: VariantRun[] = [];
  try {
    for (let round = 1; round <= rounds; round++) {
      const raw = await rawProduce(kafka, registryUrl, `h4b-${run}-raw${round}.`, 100_000, broker);
      produced.push(raw);
      const limit = await kafkaLimit(kafka, `h4b-${run}-limit${round}.raw`, 100_000);
      limits.push(limit.produceMsgsPerSec);
      say(
        `round ${round}: raw produce of ${raw.records} RawLeads (${raw.recordBytes} B): ` +
          `${fmt(raw.msgsPerSec)}/s (broker ${fmt(raw.brokerUsPerRecord, 1)} CPU-µs/record); 700-byte random records (kafkaLimit): ${fmt(limit.produceMsgsPerSec)}/s`,
      );
      const floor = await httpFloorLoad(repoRoot, { seconds, seed: 30 + round });
      floors.push(floor);
      say(
        `round ${round}: bare node:http server, the same single-lead load: ${fmt(floor.requestsPerSec)} requests/s, ` +
          `p99 ${floor.p99} ms (${fmt(floor.cpuUsPerRequest)} CPU-µs/request); peak RSS ${fmt(floor.peakRssMb ?? NaN)} MB`,
      );
      const nest = await httpFloorLoad(repoRoot, { seconds, seed: 40 + round, server: 'nest' });
      nestFloors.push(nest);
      say(
        `round ${round}: NestJS on Fastify with one empty controller, the same load: ${fmt(nest.requestsPerSec)} requests/s, ` +
          `p99 ${nest.p99} ms (${fmt(nest.cpuUsPerRequest)} CPU-µs/request)`,
      );
      const topic = await floorTopic(kafka, `h4b-${run}-floor${round}.`);
      const nestKafka = await httpFloorLoad(repoRoot, {
        seconds,
        seed: 50 + round,
        server: 'nest+kafka',
        topic,
      });
      nestKafkaFloors.push(nestKafka);
      say(
        `round ${round}: the same controller writing each body to Kafka before its 202: ${fmt(nestKafka.requestsPerSec)} requests/s, ` +
          `p99 ${nestKafka.p99} ms (${fmt(nestKafka.cpuUsPerRequest)} CPU-µs/request); peak RSS ` +
          `${fmt(nest.peakRssMb ?? NaN)} MB without the write, ${fmt(nestKafka.peakRssMb ?? NaN)} MB with it`,
      );
      const order = round % 2 === 1 ? variants : [...variants].reverse();
      for (const variant of order) {
        const r = await runVariant(round, variant, brokers, registryUrl, workDir, broker);
        runs.push(r);
        say(
          `round ${round} ${r.variant}: single ${fmt(r.single.leadsPerSec)} leads/s p99 ${r.single.p99} ms ` +
            `(${fmt(r.singleCpuUsPerLead)} + broker ${fmt(r.singleBrokerUsPerLead)} CPU-µs/lead, non-2xx ${r.single.non2xx}); ` +
            `batch ${fmt(r.batch.leadsPerSec)} leads/s p99 ${r.batch.p99} ms ` +
            `(${fmt(r.batchCpuUsPerLead, 1)} + broker ${fmt(r.batchBrokerUsPerLead, 1)} CPU-µs/lead)`,
        );
      }
    }
  } finally {
    await stack?.stop();
  }
  process.stdout.write(
    '\n| round | variant | raw produce (RawLead) /s | single leads/s | single p50 / p99 / p99.9 ms | ' +
      'single CPU µs/lead, ingest + broker | single ÷ raw | single ÷ 700 B produce | ' +
      'bare HTTP requests/s (CPU µs each) | single ÷ bare HTTP | ' +
      'Nest on Fastify requests/s (CPU µs each) | single ÷ Nest | ' +
      'Nest + Kafka write requests/s (CPU µs each) | single ÷ Nest + Kafka | batch leads/s | ' +
      'batch p99 ms | batch CPU µs/lead, ingest + broker | ingest peak RSS MB |\n|' +
      ' --- |'.repeat(18) +
      '\n',
  );
  for (const r of runs) {
    const raw = produced[r.round - 1]!.msgsPerSec;
    const limit = limits[r.round - 1]!;
    const floor = floors[r.round - 1]!;
    const nest = nestFloors[r.round - 1]!;
    const nestKafka = nestKafkaFloors[r.round - 1]!;
    process.stdout.write(
      `| ${r.round} | ${r.variant} | ${fmt(raw)} | ${fmt(r.single.leadsPerSec)} | ` +
        `${r.single.p50} / ${r.single.p99} / ${r.single.p999} | ` +
        `${fmt(r.singleCpuUsPerLead)} + ${fmt(r.singleBrokerUsPerLead)} | ` +
        `${fmt(r.single.leadsPerSec / raw, 3)} | ${fmt(r.single.leadsPerSec / limit, 3)} | ` +
        `${fmt(floor.requestsPerSec)} (${fmt(floor.cpuUsPerRequest)}) | ` +
        `${fmt(r.single.leadsPerSec / floor.requestsPerSec, 3)} | ` +
        `${fmt(nest.requestsPerSec)} (${fmt(nest.cpuUsPerRequest)}) | ` +
        `${fmt(r.single.leadsPerSec / nest.requestsPerSec, 3)} | ` +
        `${fmt(nestKafka.requestsPerSec)} (${fmt(nestKafka.cpuUsPerRequest)}) | ` +
        `${fmt(r.single.leadsPerSec / nestKafka.requestsPerSec, 3)} | ` +
        `${fmt(r.batch.leadsPerSec)} | ${r.batch.p99} | ` +
        `${fmt(r.batchCpuUsPerLead, 1)} + ${fmt(r.batchBrokerUsPerLead, 1)} | ${fmt(r.peakRssMb)} |\n`,
    );
  }
  process.stdout.write(
    `${JSON.stringify({ bench: 'ingest', produced, limits, floors, nestFloors, nestKafkaFloors, runs })}\n`,
  );
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

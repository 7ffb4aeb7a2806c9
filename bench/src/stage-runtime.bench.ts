/**
 * The stage runtime's CPU per record (issue 15, point 2): N real records through one stage
 * process, the CPU that process used for them read from /proc (user + system, from the moment it
 * is consuming and idle to the moment its group's committed offsets cover the N records), with a
 * raw kafkajs consume→produce hop of the same records beside it (same client settings, no
 * decoding, no handler: what Kafka alone costs a Node process).
 *
 * Each build is a checkout's root (`label=path`), so a before and an after are measured in the
 * same run, alternating, on the same broker:
 *
 *   STAGE_BENCH_ROOTS=before=/tmp/h6-before,after=/work/main node bench/dist/stage-runtime.bench.js
 *   (STAGE_BENCH_RECORDS, default 20000; STAGE_BENCH_ROUNDS, default 2; STAGE_BENCH_STAGES,
 *   default normalizer,router)
 *
 * The stages run in production mode (no per-record schema check on encode), PLAINTEXT. The
 * normalizer reads leads.raw (at least once); the router reads leads.enriched through its two
 * exactly-once steps (match, then assign). KAFKA_BROKERS and SCHEMA_REGISTRY_URL name the stack.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { BatchingProducer, ensureTopics, AvroCodec } from '@lead-router/kafka';
import { freePort } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import { prefixedTopics, serviceEntry } from '@lead-router/schemas';
import { enrichedLeadFixture, rotationRules } from '@lead-router/testing';
import type { Kafka } from 'kafkajs';
import { benchCodec, benchKafka } from './bench.stack';
import { rawLeads } from './lead.generator';
import { cpuSeconds, machine, scrape, sleep, sumMetric } from './proc.stats';

type StageName = 'normalizer' | 'router' | 'raw-hop';

const COUNTRIES = ['US', 'FR', 'DE', 'GB', 'ES', 'CA', 'IT', 'NL'] as const;

/** A round-robin queue per country, members always available: every lead is routed. */
const RULES = rotationRules('stage-runtime-bench', COUNTRIES);

const RECORDS = Number(process.env['STAGE_BENCH_RECORDS'] ?? 20_000);
const ROUNDS = Number(process.env['STAGE_BENCH_ROUNDS'] ?? 2);
const STAGES = (process.env['STAGE_BENCH_STAGES'] ?? 'normalizer,router').split(',') as (
  'normalizer' | 'router'
)[];
const repoRoot = resolve(__dirname, '..', '..');
const say = (msg: string) => process.stdout.write(`[stage-runtime-bench] ${msg}\n`);

interface Measured {
  build: string;
  stage: StageName;
  round: number;
  cpuUsPerRecord: number;
  recordsPerSecond: number;
}

async function main(): Promise<void> {
  if (process.argv[2] === '--raw-hop') return rawHop(process.argv[3]!, process.argv[4]!);
  if (process.argv[2] === '--codec') return codecPerRecord();
  const brokers = required('KAFKA_BROKERS');
  const registryUrl = required('SCHEMA_REGISTRY_URL');
  const roots = required('STAGE_BENCH_ROOTS')
    .split(',')
    .map((entry) => {
      const [label, path] = entry.split('=');
      return { label: label!, root: resolve(path!) };
    });
  const workDir = mkdtempSync(join(tmpdir(), 'stage-runtime-bench-'));
  const kafka = benchKafka(brokers, 'stage-runtime-bench', createLogger('bench', 'warn'));
  const rulesFile = join(workDir, 'rules.yaml');
  writeFileSync(rulesFile, RULES);
  const run = randomBytes(3).toString('hex');
  say(`${RECORDS} records per measure, ${ROUNDS} rounds, builds ${roots.map((r) => r.label)}`);
  say(JSON.stringify(machine(repoRoot)));
  const results: Measured[] = [];
  for (let round = 1; round <= ROUNDS; round++) {
    for (const stage of STAGES) {
      for (const { label, root } of roots) {
        const prefix = `srb-${run}-${round}-${stage}-${label}.`;
        const m = await measureStage(
          kafka,
          { brokers, registryUrl, rulesFile },
          root,
          stage,
          prefix,
        );
        results.push({ build: label, stage, round, ...m });
        say(`round ${round} ${stage} ${label}: ${fmt(m)}`);
      }
    }
    const prefix = `srb-${run}-${round}-raw.`;
    const m = await measureStage(kafka, { brokers, registryUrl, rulesFile }, '', 'raw-hop', prefix);
    results.push({ build: 'kafkajs', stage: 'raw-hop', round, ...m });
    say(`round ${round} raw kafkajs consume→produce: ${fmt(m)}`);
  }
  say('summary (median over rounds):');
  const keys = [...new Set(results.map((r) => `${r.stage}|${r.build}`))];
  for (const key of keys) {
    const rows = results.filter((r) => `${r.stage}|${r.build}` === key);
    const [stage, build] = key.split('|');
    say(
      `  ${stage!.padEnd(10)} ${build!.padEnd(8)} ${median(rows.map((r) => r.cpuUsPerRecord)).toFixed(1)} µs CPU/record ` +
        `(runs ${rows.map((r) => r.cpuUsPerRecord.toFixed(1)).join(', ')}), ` +
        `${median(rows.map((r) => r.recordsPerSecond)).toFixed(0)} records/s`,
    );
  }
  process.exit(0);
}

function fmt(m: { cpuUsPerRecord: number; recordsPerSecond: number }): string {
  return `${m.cpuUsPerRecord.toFixed(1)} µs CPU/record, ${m.recordsPerSecond.toFixed(0)} records/s`;
}

interface StackEnv {
  brokers: string;
  registryUrl: string;
  rulesFile: string;
}

async function measureStage(
  kafka: Kafka,
  env: StackEnv,
  root: string,
  stage: StageName,
  prefix: string,
): Promise<{ cpuUsPerRecord: number; recordsPerSecond: number }> {
  const { declarations, topics } = prefixedTopics(prefix);
  await ensureTopics(kafka, declarations);
  const codec = benchCodec(env.registryUrl);
  await codec.register(declarations);
  const group =
    stage === 'raw-hop'
      ? `${prefix}raw-hop`
      : `${prefix}lead-router.${stage === 'router' ? 'router' : stage}`;
  const child = await startStage(env, root, stage, prefix);
  try {
    // Idle until joined: the CPU from here on is the records' (and a few idle fetches').
    await waitForGroupStable(kafka, group);
    await sleep(1_000);
    const cpu0 = cpuSeconds(child.pid!);
    const t0 = performance.now();
    if (stage === 'router') await produceEnriched(kafka, codec, topics.enriched);
    else await produceRaw(kafka, codec, topics.raw);
    if (stage === 'router') {
      await waitCommitted(kafka, group, topics.enriched, () => Promise.resolve(RECORDS));
      await waitAssigned(child.port);
    } else {
      await waitCommitted(kafka, group, topics.raw, () => Promise.resolve(RECORDS));
    }
    const seconds = (performance.now() - t0) / 1000;
    const cpu = cpuSeconds(child.pid!) - cpu0;
    return { cpuUsPerRecord: (cpu / RECORDS) * 1e6, recordsPerSecond: RECORDS / seconds };
  } finally {
    child.kill('SIGTERM');
    await new Promise((done) => child.once('exit', done));
  }
}

async function startStage(
  env: StackEnv,
  root: string,
  stage: StageName,
  prefix: string,
): Promise<ChildProcess & { port: number }> {
  const port = await freePort();
  const common = {
    ...process.env,
    KAFKA_BROKERS: env.brokers,
    SCHEMA_REGISTRY_URL: env.registryUrl,
    KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
    LEAD_ROUTER_MODE: 'production',
    TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    HTTP_HOST: '127.0.0.1',
  };
  if (stage === 'raw-hop') {
    const child = spawn(process.execPath, [__filename, '--raw-hop', env.brokers, prefix], {
      env: common,
      stdio: ['ignore', 'inherit', 'inherit'],
    });
    return Object.assign(child, { port });
  }
  const entry = serviceEntry(stage);
  const child = spawn(process.execPath, [join(root, entry.entry)], {
    env: {
      ...common,
      [entry.port.env]: String(port),
      ...(stage === 'router' ? { ROUTING_RULES_FILE: env.rulesFile } : {}),
    },
    stdio: ['ignore', 'ignore', 'inherit'],
  });
  const deadline = Date.now() + 120_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error(`${stage} exited with ${child.exitCode}`);
    try {
      const res = await fetch(`http://127.0.0.1:${port}${entry.healthPath}`);
      if (res.status === 200) return Object.assign(child, { port });
    } catch {
      // not listening yet
    }
    if (Date.now() > deadline) throw new Error(`${stage} not healthy within 120 s`);
    await sleep(250);
  }
}

/** The raw hop: leads.raw → leads.normalized with the same bytes, committed after the ack. */
async function rawHop(brokers: string, prefix: string): Promise<void> {
  const { topics } = prefixedTopics(prefix);
  const kafka = benchKafka(brokers, 'raw-hop', createLogger('raw-hop', 'warn'));
  const producer = BatchingProducer.create(kafka, { ackTimeoutMs: 60_000 });
  await producer.connect();
  const consumer = kafka.consumer({
    groupId: `${prefix}raw-hop`,
    maxBytesPerPartition: 1_048_576,
    maxWaitTimeInMs: 100,
  });
  await consumer.connect();
  await consumer.subscribe({ topic: topics.raw, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    partitionsConsumedConcurrently: 6,
    eachBatch: async ({ batch, resolveOffset }) => {
      await producer.sendAll(
        batch.messages.map((m) => ({ topic: topics.normalized, key: m.key, value: m.value })),
      );
      const last = batch.lastOffset();
      resolveOffset(last);
      await consumer.commitOffsets([
        { topic: batch.topic, partition: batch.partition, offset: (BigInt(last) + 1n).toString() },
      ]);
    },
  });
  process.on('SIGTERM', () => void consumer.disconnect().then(() => process.exit(0)));
}

async function produceRaw(kafka: Kafka, codec: AvroCodec, topic: string): Promise<void> {
  const next = rawLeads(15, 'bench-kafka');
  await produce(kafka, topic, () => {
    const lead = next();
    return { key: lead.lead_id, value: codec.encode(topic, lead) };
  });
}

async function produceEnriched(kafka: Kafka, codec: AvroCodec, topic: string): Promise<void> {
  let i = 0;
  await produce(kafka, topic, () => {
    i++;
    const leadId = randomUUID();
    const lead = enrichedLeadFixture({
      lead: {
        lead_id: leadId,
        email: `lead${i}@analytical-engines.com`,
        country: COUNTRIES[i % COUNTRIES.length]!,
      },
    });
    return { key: leadId, value: codec.encode(topic, lead) };
  });
}

async function produce(
  kafka: Kafka,
  topic: string,
  next: () => { key: string; value: Buffer },
): Promise<void> {
  const producer = BatchingProducer.create(kafka, { ackTimeoutMs: 60_000 });
  await producer.connect();
  for (let sent = 0; sent < RECORDS; sent += 1000) {
    const n = Math.min(1000, RECORDS - sent);
    await producer.sendAll(Array.from({ length: n }, () => ({ topic, ...next() })));
  }
  await producer.disconnect();
}

async function waitForGroupStable(kafka: Kafka, groupId: string): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const deadline = Date.now() + 120_000;
    while (Date.now() < deadline) {
      const { groups } = await admin.describeGroups([groupId]);
      if (groups[0]?.state === 'Stable') return;
      await sleep(250);
    }
    throw new Error(`group ${groupId} not stable within 120 s`);
  } finally {
    await admin.disconnect();
  }
}

/** Waits until the group's committed offsets on `topic` add up to `expected()` records. */
async function waitCommitted(
  kafka: Kafka,
  groupId: string,
  topic: string,
  expected: () => Promise<number>,
): Promise<void> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const want = await expected();
    const deadline = Date.now() + 600_000;
    while (Date.now() < deadline) {
      const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
      const sum = (offsets?.partitions ?? []).reduce(
        (n, p) => n + Math.max(0, Number(p.offset)),
        0,
      );
      if (sum >= want) return;
      await sleep(100);
    }
    throw new Error(`group ${groupId} did not commit ${want} records of ${topic} within 600 s`);
  } finally {
    await admin.disconnect();
  }
}

/**
 * Waits until the assign step handled every lead (its records counter; router.assign ends each
 * transaction with markers, so its offsets do not count records), then until its last
 * transaction is committed: the group's offsets stop moving.
 */
async function waitAssigned(port: number): Promise<void> {
  const deadline = Date.now() + 600_000;
  while (Date.now() < deadline) {
    const text = await scrape(`http://127.0.0.1:${port}`);
    if (sumMetric(text, 'lead_router_records_total', { stage: 'router-assign' }) >= RECORDS) return;
    await sleep(100);
  }
  throw new Error(`the assign step did not handle ${RECORDS} records within 600 s`);
}

/**
 * The codec's share, in this process, per build: a chunk of 500 NormalizedLeads decoded the way
 * the build's StageRunner decodes (one promise per record before; one synchronous pass after,
 * when the build's codec has `decodeSync`) and encoded the way its services encode (after: no
 * per-record schema check in production). CPU µs per record, best of 5 passes over 20,000.
 */
async function codecPerRecord(): Promise<void> {
  const registryUrl = required('SCHEMA_REGISTRY_URL');
  const brokers = required('KAFKA_BROKERS');
  const kafka = benchKafka(brokers, 'stage-runtime-bench', createLogger('bench', 'warn'));
  const prefix = `srb-codec-${randomBytes(3).toString('hex')}.`;
  const { declarations, topics } = prefixedTopics(prefix);
  await ensureTopics(kafka, declarations);
  for (const entry of required('STAGE_BENCH_ROOTS').split(',')) {
    const [label, root] = entry.split('=') as [string, string];
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const lib = require(join(resolve(root), 'libs/kafka/dist/index.js')) as {
      AvroCodec: typeof AvroCodec;
    };
    const codec = lib.AvroCodec.connect(registryUrl, { validate: false });
    await codec.register(declarations);
    const leads = Array.from(
      { length: 500 },
      (_, i) =>
        enrichedLeadFixture({
          lead: { lead_id: randomUUID(), email: `l${i}@analytical-engines.com` },
        }).lead,
    );
    const bytes = leads.map((l) => codec.encode(topics.normalized, l));
    const sync = typeof (codec as { decodeSync?: unknown }).decodeSync === 'function';
    const passes: { decode: number; encode: number }[] = [];
    for (let pass = 0; pass < 5; pass++) {
      let t = process.cpuUsage();
      for (let chunk = 0; chunk < 40; chunk++) {
        if (sync && bytes.every((b) => codec.canDecodeSync(b))) {
          bytes.map((b) => codec.decodeSync(b, 'NormalizedLead'));
        } else {
          await Promise.all(bytes.map((b) => codec.decode(b, 'NormalizedLead')));
        }
      }
      const decode = cpuMicros(process.cpuUsage(t)) / 20_000;
      t = process.cpuUsage();
      for (let chunk = 0; chunk < 40; chunk++) {
        for (const l of leads) codec.encode(topics.normalized, l);
      }
      const encode = cpuMicros(process.cpuUsage(t)) / 20_000;
      passes.push({ decode, encode });
    }
    const best = (k: 'decode' | 'encode') => Math.min(...passes.map((p) => p[k])).toFixed(2);
    say(`codec ${label}: decode ${best('decode')} µs/record, encode ${best('encode')} µs/record`);
  }
  process.exit(0);
}

function cpuMicros(usage: NodeJS.CpuUsage): number {
  return usage.user + usage.system;
}

function required(key: string): string {
  const value = process.env[key];
  if (value === undefined || value === '') throw new Error(`${key} must be set`);
  return value;
}

function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

void main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});

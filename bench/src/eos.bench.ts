/**
 * What exactly-once routing costs (issue 13, point 1). The router's real match stage
 * (`routerStages(...)[0]`: decode an EnrichedLead, evaluate a small rule set, produce one
 * QueueAssignment) runs in this process under StageRunner, once at least once (the idempotent
 * producer's sendAll, then commitOffsets) and once exactly once (outputs and consumed offsets in
 * one transaction per chunk), alternating, over the same pre-produced records. Each run:
 *  - throughput: records/s from the runner's start (and from its first batch) until the group's
 *    committed offsets reach the record count;
 *  - per-chunk commit latency: from the chunk's outputs handed to the producer to the commit
 *    returning, measured from outside the runner by wrapping the clients it is given;
 *  - CPU seconds of this process (the stage) and of the broker over that phase;
 *  - end-to-end latency of a trickle (a fixed rate for a fixed time, the stage caught up): from
 *    the produce call to the output reaching a read_committed consumer.
 *
 *   npm run bench:eos   (EOS_BENCH_RECORDS, EOS_BENCH_TRICKLE_RATE, EOS_BENCH_TRICKLE_S)
 *
 * KAFKA_BROKERS and SCHEMA_REGISTRY_URL name a running stack; without them one is started.
 */
import assert from 'node:assert/strict';
import { AsyncLocalStorage } from 'node:async_hooks';
import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import os from 'node:os';
import { join, resolve } from 'node:path';
import {
  BatchingProducer,
  StageRunner,
  ensureTopics,
  type OutgoingRecord,
  type StageDefinition,
} from '@lead-router/kafka';
import { createLogger, createRegistry, createStageMetrics } from '@lead-router/observability';
import { compileRuleSet, parseRuleSet } from '@lead-router/routing';
import {
  QueueStateStore,
  RulesRegistry,
  queueStateChangelog,
  routerStages,
} from '@lead-router/routing-runtime';
import { prefixedTopics, type EnrichedLead, type QueueAssignment } from '@lead-router/schemas';
import { enrichedLeadFixture } from '@lead-router/testing';
import {
  type Consumer,
  type ConsumerConfig,
  type Kafka,
  type Producer,
  type ProducerConfig,
} from 'kafkajs';
import { benchCodec, benchKafka, benchStack } from './bench.stack';
import { cpuSeconds, machine, percentile, sleep } from './proc.stats';
import { warmTransactions } from './pipeline.part';

const RECORDS = Number(process.env['EOS_BENCH_RECORDS'] ?? 20_000);
const TRICKLE_RATE = Number(process.env['EOS_BENCH_TRICKLE_RATE'] ?? 200);
const TRICKLE_S = Number(process.env['EOS_BENCH_TRICKLE_S'] ?? 20);
type Mode = 'at-least-once' | 'exactly-once';
const MODES: readonly Mode[] = ['at-least-once', 'exactly-once', 'at-least-once', 'exactly-once'];
const repoRoot = resolve(__dirname, '..', '..');
const logger = createLogger('eos-bench', 'warn');

const say = (msg: string) => process.stdout.write(`[eos-bench] ${msg}\n`);

/** VIP leads to a fixed owner, French leads to one queue, everyone else round robin. */
const RULES = `id: eos-bench
version: "1"
destinations:
  crm: { type: webhook, url: "http://127.0.0.1:9/unused" }
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { crm: u-alice } }
      - { id: bob, owners: { crm: u-bob } }
  france:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: carl, owners: { crm: u-carl } }
rules:
  - name: vip
    when: { path: lead.attributes.tier, eq: vip }
    owner: u-vip
    destinations: [crm]
  - name: france
    when: { path: lead.country, eq: FR }
    queue: france
    destinations: [crm]
fallback: { queue: sales, destinations: [crm] }
`;

/**
 * Times each chunk's commit from outside the runner, through the clients it is handed. At least
 * once: from `sendAll` to `commitOffsets` returning, paired by the batch (an AsyncLocalStorage
 * entered in the wrapped `eachBatch`, since partitions run concurrently). Exactly once: from
 * `producer.transaction()` (the runner's first step once the outputs are encoded) to
 * `transaction.commit()` returning. The chunk's size is the committed offset's advance.
 */
class CommitProbe {
  readonly latenciesMs: number[] = [];
  readonly chunkSizes: number[] = [];
  firstBatchAt = NaN;
  doneAt = NaN;
  private readonly batch = new AsyncLocalStorage<{ handedAt: number }>();
  private readonly committed = new Map<number, bigint>();
  private total = 0n;

  constructor(
    private readonly groupId: string,
    private readonly target: number,
  ) {}

  /** The stage's Kafka client: consumers and producers it creates are timed. */
  kafka(inner: Kafka): Kafka {
    return new Proxy(inner, {
      get: (target, prop) => {
        if (prop === 'consumer') {
          return (config: ConsumerConfig) => this.wrapConsumer(target.consumer(config));
        }
        if (prop === 'producer') {
          return (config?: ProducerConfig) => this.wrapTransactional(target.producer(config));
        }
        const value: unknown = Reflect.get(target, prop, target);
        return typeof value === 'function' ? (value as () => unknown).bind(target) : value;
      },
    });
  }

  /** The process's idempotent producer, whose `sendAll` starts an at-least-once chunk's commit. */
  wrapBatching(producer: BatchingProducer): BatchingProducer {
    const sendAll = producer.sendAll.bind(producer);
    producer.sendAll = (records: readonly OutgoingRecord[], timeoutMs?: number) => {
      const store = this.batch.getStore();
      if (store) store.handedAt = performance.now();
      return sendAll(records, timeoutMs);
    };
    return producer;
  }

  private wrapConsumer(consumer: Consumer): Consumer {
    const run = consumer.run.bind(consumer);
    consumer.run = (config) =>
      run({
        ...config,
        eachBatch: (payload) => {
          if (Number.isNaN(this.firstBatchAt)) this.firstBatchAt = performance.now();
          return this.batch.run({ handedAt: NaN }, () => config!.eachBatch!(payload));
        },
      });
    const commitOffsets = consumer.commitOffsets.bind(consumer);
    consumer.commitOffsets = async (offsets) => {
      await commitOffsets(offsets);
      const handedAt = this.batch.getStore()?.handedAt ?? NaN;
      for (const o of offsets) this.committedChunk(o.partition, o.offset, handedAt);
    };
    return consumer;
  }

  private wrapTransactional(producer: Producer): Producer {
    const transaction = producer.transaction.bind(producer);
    producer.transaction = async () => {
      const handedAt = performance.now();
      const tx = await transaction();
      const offsets: { partition: number; offset: string }[] = [];
      const sendOffsets = tx.sendOffsets.bind(tx);
      tx.sendOffsets = async (request) => {
        for (const t of request.topics) offsets.push(...t.partitions);
        await sendOffsets(request);
      };
      const commit = tx.commit.bind(tx);
      tx.commit = async () => {
        await commit();
        for (const o of offsets) this.committedChunk(o.partition, o.offset, handedAt);
      };
      return tx;
    };
    return producer;
  }

  private committedChunk(partition: number, offset: string, handedAt: number): void {
    const now = performance.now();
    const next = BigInt(offset);
    const before = this.committed.get(partition) ?? 0n;
    this.committed.set(partition, next);
    this.total += next - before;
    this.chunkSizes.push(Number(next - before));
    if (!Number.isNaN(handedAt)) this.latenciesMs.push(now - handedAt);
    if (Number.isNaN(this.doneAt) && this.total >= BigInt(this.target)) this.doneAt = now;
  }
}

/** The pid of the process listening on the broker's port (our own stack's broker), if found. */
function brokerPid(brokers: string): number | undefined {
  const port = brokers.split(',')[0]?.split(':').pop();
  try {
    const out = execFileSync('ss', ['-ltnpH', `sport = :${port}`], { encoding: 'utf8' });
    const match = /pid=(\d+)/.exec(out);
    return match ? Number(match[1]) : undefined;
  } catch {
    return undefined;
  }
}

async function committedTotal(kafka: Kafka, groupId: string, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return (offsets?.partitions ?? []).reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

interface RunResult {
  mode: Mode;
  run: number;
  seconds: number;
  secondsFromFirstBatch: number;
  committedByAdmin: number;
  commitMs: number[];
  chunkSizes: number[];
  stageCpu: number;
  brokerCpu: number;
  outputs: number;
  distinctOutputs: number;
  trickleSent: number;
  trickleSeen: number;
  e2eMs: number[];
  trickleLateMs: number;
  trickleCommitMs: number[];
  trickleChunkSizes: number[];
  /** CPU seconds over the trickle: this process (the stage, plus the trickle's producer and reader) */
  trickleCpu: number;
  trickleBrokerCpu: number;
}

async function oneRun(
  kafka: Kafka,
  registryUrl: string,
  broker: number | undefined,
  leads: readonly EnrichedLead[],
  mode: Mode,
  run: number,
): Promise<RunResult> {
  const prefix = `bench-eos-${Date.now()}-${run}.`;
  const { topics, declarations } = prefixedTopics(prefix);
  const used = declarations.filter((d) =>
    [topics.enriched, topics.assign, topics.dlq].includes(d.name),
  );
  await ensureTopics(kafka, used);
  const codec = benchCodec(registryUrl);
  await codec.register(used);

  const producer = BatchingProducer.create(kafka);
  await producer.connect();
  for (let i = 0; i < leads.length; i += 1000) {
    await producer.sendAll(
      leads.slice(i, i + 1000).map((lead) => ({
        topic: topics.enriched,
        key: lead.lead.lead_id,
        value: codec.encode(topics.enriched, lead),
      })),
    );
  }

  const parsed = parseRuleSet(RULES);
  if (!parsed.ok) throw new Error(JSON.stringify(parsed.error));
  const rules = new RulesRegistry(compileRuleSet(parsed.value), {
    logger,
    servedDestinationTypes: ['webhook'],
  });
  const groupId = `${prefix}lead-router.router`;
  const probe = new CommitProbe(groupId, leads.length);
  const stageKafka = probe.kafka(kafka);
  const [match] = routerStages(
    { groupId, concurrency: 1, partitionsConcurrently: 3, sessionTimeoutMs: 30_000 },
    {
      instance: `eos-bench-${run}`,
      topics,
      rules,
      store: new QueueStateStore({
        topic: topics.queueState,
        readChangelog: queueStateChangelog(kafka, codec, topics.queueState),
        now: Date.now,
      }),
      logger,
      now: Date.now,
    },
  );
  const def = { ...match!, exactlyOnce: mode === 'exactly-once' } as StageDefinition<unknown>;
  const stageProducer = probe.wrapBatching(BatchingProducer.create(kafka));
  await stageProducer.connect();
  const runner = new StageRunner(def, {
    kafka: stageKafka,
    producer: stageProducer,
    codec,
    metrics: createStageMetrics(createRegistry('eos-bench')),
    logger,
  });

  say(`run ${run} (${mode}): ${leads.length} records on ${topics.enriched}; starting the stage`);
  const cpu0 = process.cpuUsage();
  const broker0 = broker ? cpuSeconds(broker) : 0;
  const t0 = performance.now();
  await runner.start();
  const deadline = Date.now() + 10 * 60_000;
  while (Number.isNaN(probe.doneAt)) {
    assert.ok(Date.now() < deadline, `run ${run}: committed offsets reached ${leads.length}`);
    await sleep(20);
  }
  const cpu = process.cpuUsage(cpu0);
  const stageCpu = (cpu.user + cpu.system) / 1e6;
  const brokerCpu = broker ? cpuSeconds(broker) - broker0 : NaN;
  const seconds = (probe.doneAt - t0) / 1000;
  const secondsFromFirstBatch = (probe.doneAt - probe.firstBatchAt) / 1000;
  const committedByAdmin = await committedTotal(kafka, groupId, topics.enriched);
  const commitMs = [...probe.latenciesMs];
  const chunkSizes = [...probe.chunkSizes];
  say(
    `run ${run} (${mode}): ${leads.length} committed in ${seconds.toFixed(2)} s ` +
      `(${(leads.length / seconds).toFixed(0)}/s), ${chunkSizes.length} chunks`,
  );

  // The trickle: a read_committed reader (kafkajs' default isolation) of the stage's output.
  const sentAt = new Map<string, number>();
  const e2eMs: number[] = [];
  const seenIds = new Set<string>();
  let outputs = 0;
  const reader = kafka.consumer({
    groupId: `${prefix}eos-bench.reader`,
    maxWaitTimeInMs: 20,
    allowAutoTopicCreation: false,
  });
  await reader.connect();
  await reader.subscribe({ topic: topics.assign, fromBeginning: true });
  await reader.run({
    eachBatch: async ({ batch }) => {
      const at = performance.now();
      for (const m of batch.messages) {
        const a = await codec.decode<QueueAssignment>(m.value, 'QueueAssignment');
        const id = a.enriched.lead.lead_id;
        outputs++;
        seenIds.add(id);
        const sent = sentAt.get(id);
        if (sent !== undefined) e2eMs.push(at - sent);
      }
    },
  });
  while (seenIds.size < leads.length) {
    assert.ok(Date.now() < deadline, `run ${run}: the reader saw every output`);
    await sleep(50);
  }
  const total = Math.round(TRICKLE_RATE * TRICKLE_S);
  const trickle = Array.from({ length: total }, () =>
    enrichedLeadFixture({ lead: { lead_id: randomUUID() } }),
  );
  say(`run ${run} (${mode}): trickle of ${total} records at ${TRICKLE_RATE}/s`);
  const trickleCpu0 = process.cpuUsage();
  const trickleBroker0 = broker ? cpuSeconds(broker) : 0;
  const start = performance.now();
  const acks: Promise<void>[] = [];
  let trickleLateMs = 0;
  for (let i = 0; i < total; i++) {
    const due = start + (i * 1000) / TRICKLE_RATE;
    const wait = due - performance.now();
    if (wait > 0) await sleep(wait);
    else trickleLateMs = Math.max(trickleLateMs, -wait);
    const lead = trickle[i]!;
    sentAt.set(lead.lead.lead_id, performance.now());
    acks.push(
      producer.send({
        topic: topics.enriched,
        key: lead.lead.lead_id,
        value: codec.encode(topics.enriched, lead),
      }),
    );
  }
  await Promise.all(acks);
  const trickleDeadline = Date.now() + 60_000;
  while (e2eMs.length < total && Date.now() < trickleDeadline) await sleep(50);
  const trickleCpuUsage = process.cpuUsage(trickleCpu0);
  const trickleBrokerCpu = broker ? cpuSeconds(broker) - trickleBroker0 : NaN;
  const trickleCommitMs = probe.latenciesMs.slice(commitMs.length);
  const trickleChunkSizes = probe.chunkSizes.slice(chunkSizes.length);

  await reader.disconnect();
  await runner.stop();
  await stageProducer.disconnect();
  await producer.disconnect();
  return {
    mode,
    run,
    seconds,
    secondsFromFirstBatch,
    committedByAdmin,
    commitMs,
    chunkSizes,
    stageCpu,
    brokerCpu,
    outputs,
    distinctOutputs: seenIds.size,
    trickleSent: total,
    trickleSeen: e2eMs.length,
    e2eMs,
    trickleLateMs,
    trickleCommitMs,
    trickleChunkSizes,
    trickleCpu: (trickleCpuUsage.user + trickleCpuUsage.system) / 1e6,
    trickleBrokerCpu,
  };
}

const ms = (v: number) => `${v < 10 ? v.toFixed(1) : Math.round(v).toLocaleString('en')} ms`;
const pct = (values: readonly number[], p: number) =>
  percentile(
    [...values].sort((a, b) => a - b),
    p,
  );
const mean = (values: readonly number[]) => values.reduce((s, v) => s + v, 0) / values.length;

const cpu = (v: number) => (Number.isNaN(v) ? '–' : `${v.toFixed(1)} s`);

function table(results: readonly RunResult[]): string[] {
  return [
    `**Bulk: ${RECORDS.toLocaleString('en')} records waiting when the stage starts**`,
    '',
    '| run | mode | records/s from start | records/s from first batch | chunks | chunk size p50 / max | commit p50 | commit p99 | stage CPU | broker CPU |',
    '| ---: | --- | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: |',
    ...results.map(
      (r) =>
        `| ${r.run} | ${r.mode} | ${Math.round(RECORDS / r.seconds).toLocaleString('en')} (${r.seconds.toFixed(1)} s) | ` +
        `${Math.round(RECORDS / r.secondsFromFirstBatch).toLocaleString('en')} | ${r.chunkSizes.length} | ` +
        `${pct(r.chunkSizes, 50)} / ${Math.max(...r.chunkSizes)} | ${ms(pct(r.commitMs, 50))} | ${ms(pct(r.commitMs, 99))} | ` +
        `${cpu(r.stageCpu)} | ${cpu(r.brokerCpu)} |`,
    ),
    '',
    `**Trickle: ${TRICKLE_RATE}/s for ${TRICKLE_S} s, the stage caught up** (end to end: produce call to the output at a read_committed reader; process CPU includes the trickle's producer and reader)`,
    '',
    '| run | mode | e2e p50 | e2e p99 | seen | chunks | chunk size p50 / max | commit p50 | commit p99 | process CPU | broker CPU | outputs (distinct) | generator late max |',
    '| ---: | --- | ---: | ---: | ---: | ---: | --- | ---: | ---: | ---: | ---: | --- | ---: |',
    ...results.map(
      (r) =>
        `| ${r.run} | ${r.mode} | ${ms(pct(r.e2eMs, 50))} | ${ms(pct(r.e2eMs, 99))} | ${r.trickleSeen} / ${r.trickleSent} | ` +
        `${r.trickleChunkSizes.length} | ${pct(r.trickleChunkSizes, 50)} / ${Math.max(...r.trickleChunkSizes)} | ` +
        `${ms(pct(r.trickleCommitMs, 50))} | ${ms(pct(r.trickleCommitMs, 99))} | ${cpu(r.trickleCpu)} | ${cpu(r.trickleBrokerCpu)} | ` +
        `${r.outputs.toLocaleString('en')} (${r.distinctOutputs.toLocaleString('en')}) | ${ms(r.trickleLateMs)} |`,
    ),
  ];
}

function ratios(results: readonly RunResult[]): string[] {
  const by = (mode: Mode) => results.filter((r) => r.mode === mode);
  const figure = (pick: (r: RunResult) => number, mode: Mode) => mean(by(mode).map(pick));
  const rows: [string, (r: RunResult) => number, (v: number) => string][] = [
    [
      'throughput from start (records/s)',
      (r) => RECORDS / r.seconds,
      (v) => Math.round(v).toLocaleString('en'),
    ],
    [
      'throughput from first batch (records/s)',
      (r) => RECORDS / r.secondsFromFirstBatch,
      (v) => Math.round(v).toLocaleString('en'),
    ],
    ['chunk commit p50', (r) => pct(r.commitMs, 50), ms],
    ['chunk commit p99', (r) => pct(r.commitMs, 99), ms],
    ['chunk size p50 (records)', (r) => pct(r.chunkSizes, 50), (v) => v.toFixed(0)],
    ['trickle end-to-end p50', (r) => pct(r.e2eMs, 50), ms],
    ['trickle end-to-end p99', (r) => pct(r.e2eMs, 99), ms],
    ['trickle chunk commit p50', (r) => pct(r.trickleCommitMs, 50), ms],
    ['trickle chunk commit p99', (r) => pct(r.trickleCommitMs, 99), ms],
    ['trickle chunk size p50 (records)', (r) => pct(r.trickleChunkSizes, 50), (v) => v.toFixed(0)],
    ['trickle broker CPU', (r) => r.trickleBrokerCpu, cpu],
    [
      'bulk: stage CPU per 1,000 records',
      (r) => (r.stageCpu * 1000) / RECORDS,
      (v) => `${v.toFixed(3)} s`,
    ],
    [
      'bulk: broker CPU per 1,000 records',
      (r) => (r.brokerCpu * 1000) / RECORDS,
      (v) => (Number.isNaN(v) ? '–' : `${v.toFixed(3)} s`),
    ],
  ];
  return [
    '| figure (mean of the runs of a mode) | at-least-once | exactly-once | exactly-once / at-least-once |',
    '| --- | ---: | ---: | ---: |',
    ...rows.map(([name, pick, show]) => {
      const alo = figure(pick, 'at-least-once');
      const eos = figure(pick, 'exactly-once');
      return `| ${name} | ${show(alo)} | ${show(eos)} | ${(eos / alo).toFixed(2)} |`;
    }),
  ];
}

async function main(): Promise<void> {
  const began = Date.now();
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-eos-bench-'));
  const env = await benchStack(workDir, say);
  const m = machine(repoRoot);
  const kafka = benchKafka(env.brokers, 'eos-bench', logger);
  const broker = brokerPid(env.brokers);
  const leads = Array.from({ length: RECORDS }, (_, i) =>
    enrichedLeadFixture({
      lead: {
        lead_id: randomUUID(),
        country: i % 5 === 0 ? 'FR' : 'US',
        attributes: { tier: i % 10 === 0 ? 'vip' : 'standard' },
      },
    }),
  );
  // One committed transaction first: the broker's transaction state topic is made then, and
  // that one-time cost stays out of the first exactly-once run.
  await warmTransactions({ kafka }, `bench-eos-${Date.now()}-`);
  // The first run of a process is the slowest whatever its mode (JIT, connections, metadata): one
  // unreported at-least-once run first, so the measured alternation starts warm.
  say('warm-up run (not reported)');
  await oneRun(kafka, env.registryUrl, broker, leads.slice(0, 5000), 'at-least-once', 0);
  const results: RunResult[] = [];
  for (const [i, mode] of MODES.entries()) {
    results.push(await oneRun(kafka, env.registryUrl, broker, leads, mode, i + 1));
  }
  const loadEnd = os.loadavg();
  await env.stack?.stop();

  const load = (l: readonly number[]) => l.map((v) => v.toFixed(2)).join(' / ');
  const lines = [
    `- **Date:** ${new Date(began).toISOString()}, ${Math.round((Date.now() - began) / 1000)} s for the whole session`,
    `- **Machine:** \`nproc\` = ${m.nproc}, ${m.cpuModel}, ${m.memoryGb.toFixed(1)} GB RAM, Node ${m.node}; ` +
      `load average at start ${load(m.loadAverage)}, at end ${load(loadEnd)} (shared machine: other engineers' tests ran at the same time)`,
    `- **Commit:** \`${m.commit}\`${m.dirty ? ' with uncommitted changes' : ''}`,
    `- **Kafka:** ${env.stack ? 'a local stack the bench started' : 'an existing local stack (KAFKA_BROKERS)'}, one broker on the same cores` +
      `${broker ? '' : ' (its pid was not found: no broker CPU)'}; the stage in the bench process`,
    `- **Workload:** ${RECORDS.toLocaleString('en')} EnrichedLeads pre-produced on 6 partitions, the router's match stage ` +
      `(partitionsConcurrently 3, chunks of at most 500), runs alternating at-least-once / exactly-once; ` +
      `then a trickle of ${TRICKLE_RATE}/s for ${TRICKLE_S} s with the stage caught up`,
    '',
    ...table(results),
    '',
    ...ratios(results),
  ];
  process.stdout.write(`\n${lines.join('\n')}\n`);
  writeFileSync(join(workDir, 'eos-bench.md'), `${lines.join('\n')}\n`);
  say(`table: ${join(workDir, 'eos-bench.md')}`);
  for (const r of results) {
    assert.equal(r.committedByAdmin, RECORDS, `run ${r.run}: the group committed every record`);
    assert.equal(r.distinctOutputs, RECORDS + r.trickleSeen, `run ${r.run}: every record routed`);
    assert.equal(r.trickleSeen, r.trickleSent, `run ${r.run}: every trickled record seen`);
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

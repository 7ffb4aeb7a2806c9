import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { AvroCodec, BatchingProducer, createKafka, ensureTopics } from '@lead-router/kafka';
import { freePort } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import { alongsideEnv, prefixedTopics, serviceEntry, type ServiceName } from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  corpusRawLead,
  readLeadCorpus,
  startService,
  testStack,
  uniquePrefix,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import type { Kafka } from 'kafkajs';
import { cpuSeconds, peakRssMb } from './proc.stats';

/**
 * The fused deployment against the split one on the same workload, in the same session: every
 * corpus lead (its rejected ones going to the DLQ) cycled to `--leads` records on leads.raw, each
 * deployment on its own topic prefix, run one after the other, alternating which goes first,
 * `--rounds` times. Per process: CPU (user + system, /proc) from the first record produced to the
 * last lead routed or dead, over the leads, and peak RSS (VmHWM) since start.
 *
 *   npm run build && KAFKA_BROKERS=… SCHEMA_REGISTRY_URL=… node bench/dist/fused.bench.js
 */
const { values: args } = parseArgs({
  options: {
    leads: { type: 'string', default: '4000' },
    rounds: { type: 'string', default: '2' },
  },
});
const LEADS = Number(args.leads);
const ROUNDS = Number(args.rounds);

const RULES = `
id: fused-bench
version: '1'
destinations:
  inbox: { type: webhook, url: 'http://127.0.0.1:9/inbox', allow_private: true }
queues:
  emea: { method: round_robin, when_unavailable: { hold: true }, members: [{ id: alice, owners: { inbox: a } }, { id: bruno, owners: { inbox: b } }] }
  rest: { method: round_robin, when_unavailable: { hold: true }, members: [{ id: erin, owners: { inbox: e } }] }
segments:
  emea: { path: lead.country, in: [DE, FR, GB, ES, IT, NL, SE, CH, AT, BE, IE, PL] }
rules:
  - { name: emea, when: { segment: emea }, queue: emea, destinations: [inbox] }
fallback: { queue: rest, destinations: [inbox] }
`;

type Deployment = 'split' | 'fused';
const PLANS: Record<Deployment, ServiceName[]> = {
  split: ['normalizer', 'enricher', 'router'],
  fused: ['pipeline-fused', 'router'],
};

interface ProcessResult {
  name: string;
  cpuSeconds: number;
  usPerLead: number;
  peakRssMb: number;
}

interface RunResult {
  deployment: Deployment;
  round: number;
  seconds: number;
  processes: ProcessResult[];
  usPerLead: number;
}

function log(line: string): void {
  process.stdout.write(`${line}\n`);
}

async function endOffsets(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

async function run(
  deployment: Deployment,
  round: number,
  ctx: {
    kafka: Kafka;
    codec: AvroCodec;
    producer: BatchingProducer;
    rulesFile: string;
    dir: string;
  },
): Promise<RunResult> {
  const stack = await testStack();
  const prefix = uniquePrefix(`fused-bench-${deployment}`);
  const { topics, declarations } = prefixedTopics(prefix);
  await ensureTopics(ctx.kafka, declarations);
  await ctx.codec.register(declarations);
  const fused = serviceEntry('pipeline-fused');
  const services: ServiceProcess[] = [];
  try {
    for (const name of PLANS[deployment]) {
      const port = await freePort();
      const alongside = deployment === 'fused' ? alongsideEnv(fused, name) : {};
      services.push(
        await startService(
          name,
          {
            ...DEMO_MODE_ENV,
            KAFKA_BROKERS: stack.brokers.join(','),
            SCHEMA_REGISTRY_URL: stack.registryUrl,
            TOPIC_PREFIX: prefix,
            LOG_LEVEL: 'warn',
            HTTP_HOST: '127.0.0.1',
            [serviceEntry(name).port.env]: String(port),
            ROUTING_RULES_FILE: ctx.rulesFile,
            ...alongside,
          },
          { port, logDir: join(ctx.dir, 'logs'), healthTimeoutMs: 300_000 },
        ),
      );
    }
    const cases = readLeadCorpus();
    const records = Array.from({ length: LEADS }, (_, i) => {
      const id = `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
      const lead = corpusRawLead(cases[i % cases.length]!.input, id);
      return { topic: topics.raw, key: id, value: ctx.codec.encode(topics.raw, lead) };
    });
    const before = services.map((s) => cpuSeconds(s.process.pid!));
    const started = performance.now();
    for (let i = 0; i < records.length; i += 500) {
      await ctx.producer.sendAll(records.slice(i, i + 500));
    }
    await waitFor(
      async () =>
        (await endOffsets(ctx.kafka, topics.routed)) + (await endOffsets(ctx.kafka, topics.dlq)) >=
        LEADS,
      {
        timeoutMs: 600_000,
        intervalMs: 250,
        what: `${LEADS} leads routed or dead (${deployment})`,
      },
    );
    const seconds = (performance.now() - started) / 1000;
    const processes = services.map((s, i): ProcessResult => {
      const cpu = cpuSeconds(s.process.pid!) - before[i]!;
      return {
        name: s.name,
        cpuSeconds: cpu,
        usPerLead: (cpu * 1e6) / LEADS,
        peakRssMb: peakRssMb(s.process.pid!) ?? NaN,
      };
    });
    const total = processes.reduce((sum, p) => sum + p.cpuSeconds, 0);
    return { deployment, round, seconds, processes, usPerLead: (total * 1e6) / LEADS };
  } finally {
    for (const s of services.reverse()) await s.stop();
  }
}

async function main(): Promise<void> {
  const stack = await testStack();
  const dir = mkdtempSync(join(tmpdir(), 'lead-router-fused-bench-'));
  const rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, RULES);
  const kafka = createKafka({
    brokers: stack.brokers,
    clientId: 'bench-fused',
    logger: createLogger('bench', 'warn'),
  });
  const codec = AvroCodec.connect(stack.registryUrl);
  const producer = BatchingProducer.create(kafka);
  await producer.connect();
  const results: RunResult[] = [];
  try {
    for (let round = 1; round <= ROUNDS; round++) {
      const order: Deployment[] = round % 2 === 1 ? ['split', 'fused'] : ['fused', 'split'];
      for (const deployment of order) {
        log(`round ${round}: ${deployment}, ${LEADS} leads…`);
        const result = await run(deployment, round, { kafka, codec, producer, rulesFile, dir });
        results.push(result);
        log(JSON.stringify(result));
      }
    }
  } finally {
    await producer.disconnect();
  }
  log('');
  log('| round | deployment | process | CPU s | µs/lead | peak RSS MB | run s |');
  log('| --- | --- | --- | ---: | ---: | ---: | ---: |');
  for (const r of results) {
    for (const p of r.processes) {
      log(
        `| ${r.round} | ${r.deployment} | ${p.name} | ${p.cpuSeconds.toFixed(2)} | ${p.usPerLead.toFixed(0)} | ${p.peakRssMb.toFixed(0)} | ${r.seconds.toFixed(1)} |`,
      );
    }
    log(`| ${r.round} | ${r.deployment} | **all** | | **${r.usPerLead.toFixed(0)}** | | |`);
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);

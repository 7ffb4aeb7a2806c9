/**
 * The physical limit alone (issue 15, point 1), as the pipeline bench measures it beside the
 * pipeline: a small pipeline run gives real records of every topic; then kafkajs produce and
 * consume of those records (`kafkaLimit`), Kafka's own producer, consumer and end-to-end latency
 * tools (`kafkaTools`), and the three chains of the pipeline's hops (`rawChain`): raw, with
 * sink-webhook's request, and with Avro on every hop besides, `--rounds` times in a rotating
 * order. Prints the figures as JSON, then each chain's rate and CPU per lead by round with its
 * ratio to the raw chain of the same round; records nothing.
 *
 *   npx tsc -b bench/tsconfig.lib.json && node bench/dist/limit.bench.js [--smoke] [--rounds 3]
 *   node bench/dist/limit.bench.js --chains-only --rounds 3   (the chains alone)
 *
 * Uses KAFKA_BROKERS and SCHEMA_REGISTRY_URL when both are set (BENCH_STACK_DIR names that
 * stack's data dir, for the broker's and registry's CPU), else starts a local stack.
 */
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import type { ServiceProcess } from '@lead-router/local-stack';
import { prefixedTopics } from '@lead-router/schemas';
import type { Kafka } from 'kafkajs';
import { benchStack } from './bench.stack';
import { stackCpuSources } from './cpu.accounting';
import { kafkaLimit } from './kafka-limit.part';
import { kafkaTools } from './kafka-tools.part';
import {
  STAGES,
  benchEnvFor,
  preparePrefix,
  produceRawLeads,
  startBenchService,
  startReceiver,
  type BenchEnv,
} from './pipeline.part';
import { sleep } from './proc.stats';
import { chainCpuMicros } from './results.entry';
import {
  PIPELINE_CHAIN,
  PIPELINE_CHAIN_WITH_AVRO,
  PIPELINE_CHAIN_WITH_WEBHOOK,
  averageValueBytes,
  chainWebhookFor,
  chainTopicKeys,
  rawChain,
  sampleChainPools,
  type ChainProcessSpec,
  type RawChainFigures,
} from './raw-chain.part';

const repoRoot = resolve(__dirname, '..', '..');
const smoke = process.argv.includes('--smoke');
const pipeArg = process.argv.indexOf('--pipe-prefix');
/** The topic prefix of an earlier pipeline run on the same cluster to sample, instead of a run here. */
const pipePrefixGiven = pipeArg > 0 ? process.argv[pipeArg + 1] : undefined;
const roundsArg = process.argv.indexOf('--rounds');
const rounds = roundsArg > 0 ? Number(process.argv[roundsArg + 1]) : 1;
if (!Number.isInteger(rounds) || rounds < 1)
  throw new Error(
    `--rounds takes a whole number of at least 1, not ${process.argv[roundsArg + 1]}`,
  );
const chainsOnly = process.argv.includes('--chains-only');
const sizes = smoke
  ? { leads: 1_000, kafkajs: 10_000, tools: 10_000, latency: 200, chain: 5_000 }
  : { leads: 3_000, kafkajs: 50_000, tools: 50_000, latency: 1_000, chain: 100_000 };

const say = (msg: string): void => {
  process.stdout.write(`[limit ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-limit-'));
  const { brokers, registryUrl, stack } = await benchStack(workDir, say);
  const otherPids = Object.fromEntries(
    stackCpuSources(stack?.dataDir ?? process.env['BENCH_STACK_DIR'] ?? '').map((s) => [
      s.name,
      'pid' in s ? s.pid : process.pid,
    ]),
  );
  const receiver = await startReceiver(repoRoot);
  const env = benchEnvFor({
    repoRoot,
    workDir,
    brokers,
    registryUrl,
    receiver,
    clientId: 'bench-limit',
  });
  const { kafka } = env;
  const run = randomBytes(3).toString('hex');
  const prefix = (part: string) => `limit-${run}-${part}.`;
  const services: ServiceProcess[] = [];
  try {
    const pipePrefix = pipePrefixGiven ?? prefix('pipe');
    if (pipePrefixGiven === undefined) {
      say(`1. the pipeline's records: ${sizes.leads} leads through ${STAGES.join(', ')}`);
      await pipelineRecords(env, pipePrefix, services);
    } else say(`1. the pipeline's records: those of the run on ${pipePrefix}`);
    const keys = chainTopicKeys();
    const poolSize = pipePrefixGiven === undefined ? sizes.leads : 20_000;
    const pools = await sampleChainPools(kafka, pipePrefix, poolSize);
    const recordBytes = Object.fromEntries(keys.map((k) => [k, averageValueBytes(pools[k]!)]));
    const allRecords = keys.flatMap((k) => pools[k]!);
    const averageBytes = averageValueBytes(allRecords);
    say(`   sampled ${keys.map((k) => `${k} ${pools[k]!.length}`).join(', ')}`);
    say(`   value bytes: ${JSON.stringify(recordBytes)}, ${averageBytes} on average`);

    let kafkajs: Awaited<ReturnType<typeof kafkaLimit>> | undefined;
    let tools: Awaited<ReturnType<typeof kafkaTools>> | undefined;
    if (!chainsOnly) {
      say(`2. kafkajs produce and consume: ${sizes.kafkajs} records of leads.raw`);
      kafkajs = await kafkaLimit(kafka, `${prefix('kafkajs')}raw`, sizes.kafkajs, pools.raw);
      say(`   ${JSON.stringify(kafkajs)}`);

      say(`3. Kafka's own tools: ${sizes.tools} records of ${averageBytes} bytes`);
      tools = await kafkaTools({
        kafka,
        brokers,
        prefix: prefix('tools'),
        records: sizes.tools,
        recordBytes: averageBytes,
        latencyRecords: sizes.latency,
        workDir,
        say,
      });
      say(`   ${JSON.stringify(tools)}`);
    }

    const hops = PIPELINE_CHAIN.flatMap((p) => p.hops).length;
    say(
      `4. the chains: ${sizes.chain} leads, ${hops} hops in ${PIPELINE_CHAIN.length} processes, ` +
        `raw, with sink-webhook's request, and with Avro on every hop; ${rounds} round(s)`,
    );
    const webhook = await chainWebhookFor(registryUrl, pools.routed!);
    const withReceiver = { ...otherPids, receiver: receiver.child.pid! };
    const runs: ChainRun[] = [];
    for (let round = 1; round <= rounds; round++) {
      // rotated each round, so no chain always runs first or last on a drifting machine
      const order = CHAINS.map((_, i) => CHAINS[(i + round - 1) % CHAINS.length]!);
      for (const c of order) {
        const figures = await rawChain({
          kafka,
          brokers,
          prefix: prefix(`${c.label}${round}`),
          count: sizes.chain,
          pools,
          workDir,
          processes: c.processes,
          ...(c.processes === PIPELINE_CHAIN
            ? { otherPids }
            : { webhook, otherPids: withReceiver }),
          registryUrl,
          say,
        });
        await receiver.reset();
        runs.push({ chain: c.label, round, figures });
        say(`   ${c.label} round ${round}: ${chainLine(figures)}`);
      }
    }
    process.stdout.write(
      `${JSON.stringify({ smoke, sizes, recordBytes, kafkajs, tools, chains: runs }, null, 2)}\n`,
    );
    process.stdout.write(`\n${chainTable(runs)}\n`);
  } finally {
    await Promise.all(services.map((s) => s.stop()));
    await receiver.stop();
    await stack?.stop();
    rmSync(workDir, { recursive: true, force: true });
  }
}

/** The chains, by the label their prefixes and rows carry. */
const CHAINS: readonly { label: string; processes: readonly ChainProcessSpec[] }[] = [
  { label: 'raw', processes: PIPELINE_CHAIN },
  { label: 'webhook', processes: PIPELINE_CHAIN_WITH_WEBHOOK },
  { label: 'avro', processes: PIPELINE_CHAIN_WITH_AVRO },
];

interface ChainRun {
  chain: string;
  round: number;
  figures: RawChainFigures;
}

function chainLine(c: RawChainFigures): string {
  return (
    `${Math.round(c.leadsPerSec)} leads/s from spawn (flowing ${Math.round(c.flowingLeadsPerSec)}), ` +
    `${Math.round(chainCpuMicros(c))} CPU-µs per lead in all (` +
    c.processes.map((p) => `${p.name} ${Math.round((p.cpuSeconds / c.count) * 1e6)}`).join(', ') +
    `), peak RSS max ${Math.round(Math.max(...c.processes.map((p) => p.peakRssMb)))} MB`
  );
}

/** Each chain's rate and CPU by round, with the ratio of its rate to the raw chain's that round. */
function chainTable(runs: readonly ChainRun[]): string {
  const lines = [
    '| chain | round | leads/s from spawn | ÷ raw chain, same round | CPU µs per lead, all | peak RSS, max MB |',
    '| --- | --- | --- | --- | --- | --- |',
  ];
  for (const run of runs) {
    const raw = runs.find((r) => r.chain === 'raw' && r.round === run.round)!.figures;
    const c = run.figures;
    lines.push(
      `| ${run.chain} | ${run.round} | ${Math.round(c.leadsPerSec)} | ${(c.leadsPerSec / raw.leadsPerSec).toFixed(2)} | ${Math.round(chainCpuMicros(c))} | ${Math.round(Math.max(...c.processes.map((p) => p.peakRssMb)))} |`,
    );
  }
  return lines.join('\n');
}

/** Runs `sizes.leads` leads through the pipeline's stages on the prefix, then stops them. */
async function pipelineRecords(
  env: BenchEnv,
  pipePrefix: string,
  services: ServiceProcess[],
): Promise<void> {
  const { kafka } = env;
  const codec = await preparePrefix(env, pipePrefix);
  const { topics } = prefixedTopics(pipePrefix);
  await produceRawLeads(env, codec, pipePrefix, sizes.leads, 7);
  services.push(...(await Promise.all(STAGES.map((s) => startBenchService(env, s, pipePrefix)))));
  // The webhook sink writes an outcome for each lead (the bench's rules route every lead to the
  // receiver): wait for one per lead, or for the outcomes to stop coming (a dead-lettered lead
  // gets none).
  let outcomes = 0;
  let grewAt = Date.now();
  for (;;) {
    // A leader not answering yet (the topic is new) is asked again at the next poll.
    const now = await recordsOn(kafka, topics.delivered).catch(() => outcomes);
    if (now > outcomes) [outcomes, grewAt] = [now, Date.now()];
    if (outcomes >= sizes.leads || (outcomes > 0 && Date.now() - grewAt > 20_000)) break;
    if (Date.now() - grewAt > 300_000) throw new Error('no outcome on leads.delivered in 300 s');
    await sleep(500);
  }
  say(`   ${outcomes} outcomes on leads.delivered`);
  await Promise.all(services.splice(0).map((s) => s.stop()));
}

/** Records on a topic written outside transactions: its offsets, summed over its partitions. */
async function recordsOn(kafka: Kafka, topic: string): Promise<number> {
  const admin = kafka.admin();
  await admin.connect();
  try {
    const offsets = await admin.fetchTopicOffsets(topic);
    return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
  } finally {
    await admin.disconnect();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

import { compilerShare, describeThreads } from './broker-requests.part';
import type { CurvePoint } from './charts.svg';
import type { SelfTime } from './cpu-profile';
import type { HttpFloorFigures, IngestFigures } from './ingest.part';
import type { CpuComparison } from './baseline.part';
import type { AvroFigures, KafkaLimit } from './kafka-limit.part';
import type { KafkaToolsFigures } from './kafka-tools.part';
import { WEBHOOK_IN_FLIGHT, type RawChainFigures, type RawChainLatencyRun } from './raw-chain.part';
import {
  STAGES,
  type HopLatency,
  type LatencyRun,
  type LoopDelay,
  type Sample,
  type StageName,
  type ThroughputRun,
} from './pipeline.part';
import {
  coresBusy,
  cpuTotal,
  describeEventLoops,
  describeSinkRequests,
  describeTransactions,
  type Machine,
} from './proc.stats';

export interface BenchResult {
  smoke: boolean;
  external: boolean;
  sizes: {
    raw: number;
    tools: number;
    latency: number;
    chain: number;
    pool: number;
    cpuLeads: number;
    cpuWarmup: number;
    cpuRounds: number;
    pipeline: number;
    ingestSeconds: number;
    rates: number[];
    runs: number;
    runSeconds: number;
    warmupSeconds: number;
    /** ingest's warm-up before the curve, not recorded: its length and its rate at most */
    ingestWarmupSeconds: number;
    ingestWarmupRate: number;
    drainMs: number;
    hopSample: number;
    profile: number;
  };
  machine: Machine;
  machineAfter: Machine;
  seconds: number;
  kafka: KafkaLimit;
  /** Kafka's own producer, consumer and end-to-end latency tools */
  tools: KafkaToolsFigures;
  /** the pipeline's hops as a raw kafkajs chain on this run's records */
  chain: RawChainFigures;
  /**
   * the same chain with sink-webhook's request to the receiver on its last hop: the pipeline's
   * path with no stage's own work (absent in entries before it was measured)
   */
  chainWebhook?: RawChainFigures;
  /**
   * that chain with Avro on every hop (each record decoded, each output encoded, the webhook built
   * from the decoded lead): the path built of the design's parts, still without any stage's own
   * logic (absent in entries before it was measured)
   */
  chainAvro?: RawChainFigures;
  /** the same chain's speed-to-lead at the curve's rates: the physical limit of point 4 */
  chainLatency: RawChainLatencyRun[];
  /** the same with sink-webhook's request on its last hop (absent in older entries) */
  chainWebhookLatency?: RawChainLatencyRun[];
  /** the same with Avro on every hop besides (absent in older entries) */
  chainAvroLatency?: RawChainLatencyRun[];
  avro: AvroFigures;
  /** CPU per lead of this tree against the baseline commit; absent when not run */
  cpuComparison?: CpuComparison;
  ingest: {
    single: IngestFigures;
    batch: IngestFigures;
    /** a bare node:http server under the single-lead load: HTTP's own limit on this host */
    floor?: HttpFloorFigures;
    /** NestJS on Fastify with one empty controller, the same load: the design's framework alone */
    nestFloor?: HttpFloorFigures;
    /** the same controller writing each body to Kafka (acks=all) before its 202 */
    nestKafkaFloor?: HttpFloorFigures;
    cpuSeconds: number;
    peakRssMb: number;
    profile?: ProfileSummary;
  };
  pipeline: Omit<ThroughputRun, 'services'> & { services: undefined };
  /** the pipeline's rate from the stages' spawn to the last delivery, leads/s */
  sustainable: number;
  /** half of it, rounded to 50: the curve's own point */
  half: number;
  curve: LatencyRun[];
  /** the first offered rate past the knee, if the curve reached one */
  knee: number | undefined;
  /** rates not run because the session had used its time for the curve */
  skippedForTime: number[];
  hops?: HopLatency & { rate: number };
  /** VmHWM (MB) of every service at the end of the curve; ingest's is the curve's ingest */
  memory: Record<string, number>;
  ingestSteadyPeakRssMb: number;
  /** VmHWM (MB) of the broker, the registry and the receiver */
  otherRss: Record<string, number>;
  charts: { curve: string; lag: string };
  slowest: StageName;
  profiles: Partial<Record<StageName, ProfileSummary>>;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  top: SelfTime[];
  packages: { name: string; share: number }[];
}

/** CPU µs per lead of a raw chain's processes and of every other process it read (broker, ...). */
export function chainCpuMicros(c: RawChainFigures): number {
  const others = Object.values(c.otherCpuSeconds).reduce((sum, sec) => sum + sec, 0);
  return c.hopCpuMicrosPerLead + (others / Math.max(1, c.count)) * 1e6;
}

/** A raw chain's row in point 1: its rate from spawn and its CPU per lead, process by process. */
function chainRow(what: string, c: RawChainFigures): string {
  const others = Object.entries(c.otherCpuSeconds)
    .map(([name, sec]) => `, ${name} ${n0((sec / Math.max(1, c.count)) * 1e6)}`)
    .join('');
  const peaks = c.processes
    .filter((p) => Number.isFinite(p.peakRssMb))
    .map((p) => `${p.name} ${n0(p.peakRssMb)}`)
    .join(' / ');
  return `| ${what} | **${n0(c.leadsPerSec)} leads/s** (flowing: ${n0(c.flowingLeadsPerSec)}); ${n0(c.hopCpuMicrosPerLead)} CPU-µs per lead in its processes${others}; ${n0(chainCpuMicros(c))} in all${peaks === '' ? '' : `; its processes' peak RSS ${peaks} MB`} |`;
}

/** `; the raw chain's processes: max N MB…`, for the memory target's row (nothing in older entries). */
function chainPeakNote(r: BenchResult): string {
  const peak = (c: RawChainFigures | undefined) =>
    c === undefined
      ? NaN
      : Math.max(...c.processes.map((p) => p.peakRssMb).filter((mb) => Number.isFinite(mb)));
  const chain = peak(r.chain);
  const withWebhook = peak(r.chainWebhook);
  // Not the Avro chain's: its hops hold their pools' values decoded, which no stage holds.
  return (
    (Number.isFinite(chain)
      ? `; the raw same-hop chain's processes alone: max ${n0(chain)} MB`
      : '') +
    (Number.isFinite(withWebhook) ? `, with sink-webhook's request: max ${n0(withWebhook)} MB` : '')
  );
}

/** `; the raw chain alone: p99 N ms`, for a target's row (nothing when the chain did not run the rate). */
function limitNote(
  chain: RawChainLatencyRun | undefined,
  withWebhook: RawChainLatencyRun | undefined,
  withAvro: RawChainLatencyRun | undefined,
): string {
  return (
    (chain ? `; the raw same-hop chain alone: p99 ${ms1(chain.p99)}` : '') +
    (withWebhook ? `, with sink-webhook's request: p99 ${ms1(withWebhook.p99)}` : '') +
    (withAvro ? `, and with Avro on every hop: p99 ${ms1(withAvro.p99)}` : '')
  );
}

/**
 * A run past the knee: its p99 above `p99Ms`, deliveries behind the offered rate by 10 %, or more
 * than 1 % of the requests refused (ingest shedding load answers 503: the system is past what it
 * takes, though the leads it accepted may still be delivered at the rate).
 */
export function kneeOf(run: LatencyRun, p99Ms: number): boolean {
  return (
    !(run.p99 <= p99Ms) ||
    run.deliveredPerSec < 0.9 * run.rate ||
    run.non2xx + run.errors > 0.01 * Math.max(1, run.sent)
  );
}

/** The curve's points: each offered rate with every run's p50, p99 and p99.9. */
export function curvePoints(curve: readonly LatencyRun[]): CurvePoint[] {
  const rates = [...new Set(curve.map((r) => r.rate))].sort((a, b) => a - b);
  return rates.map((rate) => {
    const runs = curve.filter((r) => r.rate === rate);
    return {
      rate,
      p50: runs.map((r) => r.p50),
      p99: runs.map((r) => r.p99),
      p999: runs.map((r) => r.p999),
    };
  });
}

const n0 = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : v === Infinity ? '∞' : '–';
const n1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const ms1 = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)} ms` : '–');
const ratio = (v: number): string => (Number.isFinite(v) ? `${v.toFixed(1)}×` : '–');
const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : 'n/a');
const k = (v: number): string =>
  v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k` : String(Math.round(v));
const met = (ok: boolean): string => (ok ? '**met**' : '**missed**');
const median = (vs: number[]): number =>
  vs.length === 0 ? NaN : [...vs].sort((a, b) => a - b)[Math.floor((vs.length - 1) / 2)]!;
/** "median (lowest–highest)" of one percentile over a rate's runs, ms */
const spread = (vs: number[]): string =>
  vs.length <= 1
    ? `${n0(vs[0] ?? NaN)} ms`
    : `${n0(median(vs))} ms (${n0(Math.min(...vs))}–${n0(Math.max(...vs))})`;

/** Per-stage rate: records over the stage's active span, and the best 5-second window. */
function stageRates(
  samples: Sample[],
  stage: StageName,
  count: number,
): { avg: number; peak: number } {
  const first = samples.find((s) => s.records[stage] > 0);
  const last = samples.find((s) => s.records[stage] >= count) ?? samples[samples.length - 1];
  let peak = 0;
  for (let i = 0; i < samples.length; i++) {
    const j = samples.findIndex((s) => s.t >= samples[i]!.t + 5);
    if (j < 0) break;
    peak = Math.max(
      peak,
      (samples[j]!.records[stage] - samples[i]!.records[stage]) / (samples[j]!.t - samples[i]!.t),
    );
  }
  if (!first || !last || last.t <= first.t) return { avg: NaN, peak };
  const prev = samples[samples.indexOf(first) - 1];
  const t0 = prev ? prev.t : 0;
  return { avg: last.records[stage] / (last.t - t0), peak };
}

/** Every process's CPU µs per lead, in a fixed order (NaN: not measured), and the sum of all. */
function cpuPerLead(
  cpu: Record<string, number>,
  leads: number,
  names: readonly string[],
): { each: number[]; total: number } {
  const per = (s: number) => (s / Math.max(1, leads)) * 1e6;
  return {
    each: names.map((n) => (cpu[n] === undefined ? NaN : per(cpu[n]))),
    total: per(cpuTotal(cpu)),
  };
}

function loopRow(loop: LoopDelay, names: readonly string[]): string[] {
  return names.map((n) => (loop[n] ? `${n1(loop[n].median)} / ${n1(loop[n].max)}` : '–'));
}

export function renderEntry(r: BenchResult): string {
  const m = r.machine;
  const lines: string[] = [];
  const p = r.pipeline;
  const curveRates = [...new Set(r.curve.map((c) => c.rate))].sort((a, b) => a - b);
  const runsAt = (rate: number) => r.curve.filter((c) => c.rate === rate);
  const halfRuns = runsAt(r.half);
  const at1k = runsAt(1000);
  const processes = [...STAGES, 'broker', 'registry', 'receiver', 'harness'] as const;
  const curveProcesses = ['ingest', ...processes] as const;
  lines.push(
    `## Pipeline benchmark (issue 15): speed-to-lead from the sender's clock${r.smoke ? ' — smoke run' : ''}`,
    '',
    `- **Date:** ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, ${n0(r.seconds)} s for the whole session`,
    `- **Machine:** \`nproc\` = ${m.nproc}, ${m.cpuModel}, ${m.memoryGb.toFixed(1)} GB RAM, Node ${m.node}; ` +
      `load average at start ${m.loadAverage.map((v) => v.toFixed(2)).join(' / ')}, at end ${r.machineAfter.loadAverage.map((v) => v.toFixed(2)).join(' / ')} (shared machine)`,
    `- **Commit:** \`${m.commit}\`${m.dirty ? ' with uncommitted changes' : ''}`,
    `- **Kafka:** ${r.external ? 'the cluster in KAFKA_BROKERS' : 'the local stack (single KRaft broker + Apicurio), started by the bench on the same cores'}`,
    '- **Reproduce:** `npm run bench` (builds, starts a local stack unless KAFKA_BROKERS and SCHEMA_REGISTRY_URL are set, appends this entry and writes its charts next to this file); `npm run bench -- --smoke` for a < 3 minute check that records nothing',
    `- **Charts:** [latency against offered load](${r.charts.curve}), [consumer lag over each run](${r.charts.lag})`,
    '',
    "### 1. The physical limit (same session, on the pipeline's own records)",
    '',
    '| what | figure |',
    '| --- | --- |',
    `| kafkajs produce, idempotent, acks=all, ${n0(r.kafka.records)} records of ${r.kafka.recordSource} (${r.kafka.recordBytes} B on average), ${r.kafka.partitions} partitions, sendBatch of 500, 4 in flight | ${n0(r.kafka.produceMsgsPerSec)} msg/s |`,
    `| kafkajs \`eachBatch\` consume, commit per batch | ${n0(r.kafka.consumeMsgsPerSec)} msg/s |`,
    `| \`kafka-producer-perf-test\` (Kafka ${r.tools.kafkaVersion}, ${n0(r.tools.producer.records)} records of ${r.tools.producer.recordBytes} B, acks=all, idempotent, unthrottled) | ${n0(r.tools.producer.recordsPerSec)} msg/s, ack latency p50 ${n0(r.tools.producer.latencyMs.p50)} / p99 ${n0(r.tools.producer.latencyMs.p99)} ms, ${n0((r.tools.producer.cpuSeconds / Math.max(1, r.tools.producer.records)) * 1e6)} CPU-µs per record |`,
    `| \`kafka-consumer-perf-test\`, the same records | ${n0(r.tools.consumer.recordsPerSec)} msg/s (fetching only: ${n0(r.tools.consumer.fetchRecordsPerSec)}), ${n0((r.tools.consumer.cpuSeconds / Math.max(1, r.tools.consumer.records)) * 1e6)} CPU-µs per record |`,
    `| \`kafka-e2e-latency\`, ${n0(r.tools.endToEnd.records)} records one at a time, acks=all | p50 ${n1(r.tools.endToEnd.latencyMs.p50)} / p99 ${n1(r.tools.endToEnd.latencyMs.p99)} / p99.9 ${n1(r.tools.endToEnd.latencyMs.p999)} ms |`,
    chainRow(
      `**raw kafkajs chain**: the pipeline's ${r.chain.hops} hops in ${r.chain.processes.length} processes, the runtime's client settings, each topic's real records, ${n0(r.chain.count)} leads, spawn → last record`,
      r.chain,
    ),
    ...(r.chainWebhook
      ? [
          chainRow(
            `**the same chain with sink-webhook's request**: before leads.delivered, each lead's webhook (its body as the sink built it for this run's routed leads, made before the run) signed and POSTed to the receiver, ${WEBHOOK_IN_FLIGHT} at once a chunk over keep-alive connections, as the sink sends; ${n0(r.chainWebhook.count)} leads, spawn → last record`,
            r.chainWebhook,
          ),
        ]
      : []),
    ...(r.chainAvro
      ? [
          chainRow(
            `**that chain with Avro on every hop**: each hop decodes every record it reads and encodes every record it writes (the runtime's codec on the registry, without the per-record check, as in production), and the sink hop builds each webhook from the RoutedLead it decoded with the sink's own builder; still none of a stage's own logic; ${n0(r.chainAvro.count)} leads, spawn → last record (its peak RSS includes each hop's pool of decoded values, so it is no floor for memory)`,
            r.chainAvro,
          ),
        ]
      : []),
    `| avsc encode / decode RawLead (${r.avro.rawLeadBytes} B) | ${n0(r.avro.rawEncodePerSec)} / ${n0(r.avro.rawDecodePerSec)} per s |`,
    `| avsc encode / decode RoutedLead with its decision trace (${r.avro.routedLeadBytes} B) | ${n0(r.avro.routedEncodePerSec)} / ${n0(r.avro.routedDecodePerSec)} per s |`,
    `| RoutedLead \`isValid\` + encode | ${n0(r.avro.routedValidateEncodePerSec)} per s |`,
    '',
    `### 2. Ingest (one process, autocannon, ${r.sizes.ingestSeconds} s each, every body a distinct lead)`,
    '',
    '| endpoint | connections | leads/s | ratio to raw kafkajs produce | requests/s | p50 | p99 | p99.9 | 202s | non-2xx | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const f of [r.ingest.single, r.ingest.batch]) {
    lines.push(
      `| \`POST ${f.endpoint}\`${f.endpoint.endsWith('batch') ? ' (100 leads)' : ''} | ${f.connections} | ${n0(f.leadsPerSec)} | ${pct(f.leadsPerSec / r.kafka.produceMsgsPerSec)} | ${n0(f.requestsPerSec)} | ${f.p50} ms | ${f.p99} ms | ${f.p999} ms | ${n0(f.ok)} | ${n0(f.non2xx)} | ${n0(f.errors)} |`,
    );
  }
  const { floor, nestFloor, nestKafkaFloor } = r.ingest;
  const floorRows: [string, HttpFloorFigures | undefined][] = [
    [
      "bare `node:http` server: parse the JSON body, answer 202 (HTTP's own limit, the single-lead load)",
      floor,
    ],
    [
      'NestJS on Fastify as the services boot it, one controller answering 202 with the id (the framework alone, the same load)',
      nestFloor,
    ],
    [
      "the same controller writing each body's bytes to Kafka (the runtime's producer, ingest's linger, acks=all) before its 202: the framework and the durable write",
      nestKafkaFloor,
    ],
  ];
  for (const [what, f] of floorRows) {
    if (f === undefined) continue;
    lines.push(
      `| ${what} | ${f.connections} | – | ${pct(f.requestsPerSec / r.kafka.produceMsgsPerSec)} | ${n0(f.requestsPerSec)} | ${f.p50} ms | ${f.p99} ms | ${f.p999} ms | ${n0(f.ok)} | ${n0(f.non2xx)} | ${n0(f.errors)} |`,
    );
  }
  lines.push(
    '',
    `Ingest used ${n1(r.ingest.cpuSeconds)} CPU-s over both runs (${n0((r.ingest.cpuSeconds / Math.max(1, r.ingest.single.ok + r.ingest.batch.ok * 100)) * 1e6)} µs per lead); peak RSS ${n0(r.ingest.peakRssMb)} MB.${
      floor
        ? ` Single-lead ingest reached ${pct(r.ingest.single.leadsPerSec / floor.requestsPerSec)} of the bare server's rate, which spent ${n0(floor.cpuUsPerRequest)} CPU-µs a request.`
        : ''
    }${
      nestFloor
        ? ` It reached ${pct(r.ingest.single.leadsPerSec / nestFloor.requestsPerSec)} of the framework's alone, which spent ${n0(nestFloor.cpuUsPerRequest)} CPU-µs a request.`
        : ''
    }${
      nestKafkaFloor
        ? ` And ${pct(r.ingest.single.leadsPerSec / nestKafkaFloor.requestsPerSec)} of the framework's with the write to Kafka, which spent ${n0(nestKafkaFloor.cpuUsPerRequest)} CPU-µs a request and reached ${pct(nestKafkaFloor.requestsPerSec / r.kafka.produceMsgsPerSec)} of raw produce.`
        : ''
    }${
      floor?.peakRssMb !== undefined &&
      nestFloor?.peakRssMb !== undefined &&
      nestKafkaFloor?.peakRssMb !== undefined
        ? ` Peak RSS under this load (VmHWM; the services' Node flags): the bare server ${n0(floor.peakRssMb)} MB, the framework alone ${n0(nestFloor.peakRssMb)} MB, with the write to Kafka ${n0(nestKafkaFloor.peakRssMb)} MB.`
        : ''
    }`,
    '',
    `### 3. Pipeline throughput (${n0(p.count)} RawLeads on leads.raw, then ${STAGES.join(', ')} as processes, a receiver process)`,
    '',
    '| what | figure |',
    '| --- | --- |',
    `| delivered (distinct webhook-id) / dead-lettered | ${n0(p.delivered)} / ${n0(p.dead)} of ${n0(p.count)}${p.complete ? '' : ' — **incomplete at the deadline**'} |`,
    `| produce of the RawLeads before the stages start | ${n1(p.produceSeconds)} s |`,
    `| **end to end, stages spawned → last delivery** (the stages consume from spawn) | ${n1(p.wallSeconds)} s = **${n0(r.sustainable)} leads/s**: the sustainable throughput of this run |`,
    `| of which spawn → every stage answering /health | ${n1(p.startupSeconds)} s |`,
    `| all ready → last delivery, and first → last delivery (for comparison with older entries) | ${n0(p.count / p.fromReadySeconds)} and ${n0(p.count / p.firstToLastSeconds)} leads/s |`,
    `| **ratio to the raw same-hop kafkajs chain** (both from spawn) | **${(r.sustainable / r.chain.leadsPerSec).toFixed(2)}×** (${n0(r.sustainable)} / ${n0(r.chain.leadsPerSec)} leads/s) |`,
    ...(r.chainWebhook
      ? [
          `| ratio to the same chain with sink-webhook's request (the path with no stage's work), and that chain's to the raw chain | ${(r.sustainable / r.chainWebhook.leadsPerSec).toFixed(2)}× (${n0(r.sustainable)} / ${n0(r.chainWebhook.leadsPerSec)} leads/s); ${(r.chainWebhook.leadsPerSec / r.chain.leadsPerSec).toFixed(2)}× |`,
        ]
      : []),
    ...(r.chainAvro
      ? [
          `| ratio to that chain with Avro on every hop (the design's parts with no stage's logic), and that chain's to the raw chain | ${(r.sustainable / r.chainAvro.leadsPerSec).toFixed(2)}× (${n0(r.sustainable)} / ${n0(r.chainAvro.leadsPerSec)} leads/s); ${(r.chainAvro.leadsPerSec / r.chain.leadsPerSec).toFixed(2)}× |`,
        ]
      : []),
    `| ratio to kafkajs produce / consume | ${pct(r.sustainable / r.kafka.produceMsgsPerSec)} / ${pct(r.sustainable / r.kafka.consumeMsgsPerSec)} |`,
    '',
    '| stage | avg leads/s (active span) | best 5 s | per-record p50 / p99 | per-batch (acked, committed) p50 / p99 | event-loop delay p99, median / max of each second |',
    '| --- | --- | --- | --- | --- | --- |',
  );
  for (const s of STAGES) {
    const { avg, peak } = stageRates(p.samples, s, p.count);
    const t = p.stageTimes[s];
    const loop = p.loopDelay[s];
    lines.push(
      `| ${s} | ${n0(avg)} | ${n0(peak)} | ≤ ${n1(t.recordP50)} / ≤ ${n1(t.recordP99)} ms | ≤ ${n1(t.batchP50)} / ≤ ${n1(t.batchP99)} ms | ${loop ? `${n1(loop.median)} / ${n1(loop.max)} ms` : 'n/a'} |`,
    );
  }
  const tput = cpuPerLead(p.cpu, p.count, processes);
  lines.push(
    '',
    'Per-record and per-batch times are the upper bounds of the stage histograms’ buckets (`lead_router_stage_latency_seconds`, `lead_router_batch_duration_seconds`) over the run; a batch is done when its outputs are acknowledged and its offset committed (the commit is not timed apart).',
    '',
    `CPU per lead, every process, all stages ready → last delivery (µs; ${r.external ? 'broker and registry read when BENCH_STACK_DIR names their stack' : 'broker and registry from the stack’s pids'}):`,
    '',
    `| ${processes.join(' | ')} | **all** |`,
    `| ${processes.map(() => '---').join(' | ')} | --- |`,
    `| ${tput.each.map(n0).join(' | ')} | **${n0(tput.total)}** |`,
    '',
  );
  const step = Math.max(1, Math.ceil(p.samples.length / 16));
  const series = p.samples.filter((_, i) => i % step === 0 || i === p.samples.length - 1);
  lines.push(
    `Consumer lag (summed over partitions of each stage's input and internal topic; sampled every second, ${step > 1 ? `one sample in ${step} shown` : 'every sample shown'}; [all runs as a chart](${r.charts.lag})):`,
    '',
    `| t (s) | ${series.map((s) => s.t.toFixed(0)).join(' | ')} |`,
    `| --- | ${series.map(() => '---').join(' | ')} |`,
    ...STAGES.map((st) => `| ${st} | ${series.map((s) => k(s.lag[st])).join(' | ')} |`),
    `| delivered | ${series.map((s) => k(s.delivered)).join(' | ')} |`,
    '',
    `### 4. Speed-to-lead against offered load (POST /v1/leads, open-model pacing, ${r.sizes.runs} runs of ${r.sizes.runSeconds} s a rate, the first ${r.sizes.warmupSeconds} s of each dropped, after ${r.sizes.ingestWarmupSeconds} s of leads at up to ${n0(r.sizes.ingestWarmupRate)}/s through a freshly started ingest, not recorded)`,
    '',
    "Each lead counts from its **scheduled** send time (a request the generator sent late still counts from its slot) to the receiver's arrival stamp of its webhook (headers parsed); a lead accepted but not at the receiver when the drain gave up counts as ∞. Each cell is the median of the runs with the lowest–highest run in brackets.",
    `Half the sustainable throughput of point 3 is **${n0(r.half)} leads/s**; ${r.knee !== undefined ? `the knee (p99 over 5 s, deliveries behind the offered rate, or over 1 % of requests refused) came at **${n0(r.knee)} leads/s**, and higher rates were not run.` : 'no rate run reached the knee (p99 over 5 s, deliveries behind the offered rate, or over 1 % of requests refused).'}${r.skippedForTime.length > 0 ? ` Not run for want of time (the session keeps to 25 minutes): ${r.skippedForTime.map((x) => `${n0(x)}/s`).join(', ')}.` : ''} [Chart](${r.charts.curve}).`,
    '',
    '| offered | runs | 202s | non-2xx / errors / undelivered | p50 | p99 | p99.9 | max | delivered/s | 202 from the slot p99 | sender late p99 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const rate of curveRates) {
    const runs = runsAt(rate);
    const sum = (f: (x: LatencyRun) => number) => runs.reduce((a, x) => a + f(x), 0);
    lines.push(
      `| ${rate === r.half ? '**' : ''}${n0(rate)}/s${rate === r.half ? '** (half)' : ''} | ${runs.length} | ${n0(sum((x) => x.accepted))} | ${n0(sum((x) => x.non2xx))} / ${n0(sum((x) => x.errors))} / ${n0(sum((x) => x.undelivered))} | ${spread(runs.map((x) => x.p50))} | ${spread(runs.map((x) => x.p99))} | ${spread(runs.map((x) => x.p999))} | ${n0(Math.max(...runs.map((x) => x.max)))} ms | ${n0(median(runs.map((x) => x.deliveredPerSec)))} | ${n0(median(runs.map((x) => x.ackP99)))} ms | ${n0(median(runs.map((x) => x.sendLateP99)))} ms |`,
    );
  }
  const limitAt = (rate: number) => r.chainLatency.find((c) => c.rate === rate);
  const webhookLimitAt = (rate: number) => r.chainWebhookLatency?.find((c) => c.rate === rate);
  const avroLimitAt = (rate: number) => r.chainAvroLatency?.find((c) => c.rate === rate);
  const chainCpu = (c: RawChainLatencyRun) =>
    Object.values(c.cpuMicrosPerLead).reduce((a, b) => a + b, 0);
  if (r.chainLatency.length > 0) {
    lines.push(
      '',
      "**The physical limit at the same rates**: the raw same-hop kafkajs chain of point 1 (its processes, the runtime's client settings, this run's records), records sent open-model onto leads.raw by the runtime's idempotent producer with their slot in a header that every hop copies, each stamped when read off leads.delivered; one run a rate after the curve, the pipeline's services stopped. The pipeline's path also has ingest's HTTP request before leads.raw and the webhook request after leads.routed, which the chain leaves out.",
      '',
      '| offered | chain p50 | chain p99 | chain p99.9 | chain max | not through | pipeline p50 / chain p50 | pipeline p99 / chain p99 | chain CPU µs per lead, all processes |',
      '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
      ...r.chainLatency.map((c) => {
        const runs = runsAt(c.rate);
        return `| ${n0(c.rate)}/s | ${ms1(c.p50)} | ${ms1(c.p99)} | ${ms1(c.p999)} | ${ms1(c.max)} | ${n0(c.undelivered)} of ${n0(c.counted)} | ${ratio(median(runs.map((x) => x.p50)) / c.p50)} | ${ratio(median(runs.map((x) => x.p99)) / c.p99)} | ${n0(chainCpu(c))} |`;
      }),
    );
  }
  // The second and third chains' speed-to-lead: one table each, the same columns.
  const chainTables: [RawChainLatencyRun[] | undefined, string][] = [
    [
      r.chainWebhookLatency,
      "The same chain with sink-webhook's request on its last hop (point 1's second chain: each lead's signed webhook POSTed to the receiver before leads.delivered, its body made before the run), one run a rate after the first chain's: the pipeline's path with no stage's own work and without ingest's request.",
    ],
    [
      r.chainAvroLatency,
      "That chain with Avro on every hop besides (point 1's third chain: each record decoded and each output encoded, each webhook built from its decoded lead), one run a rate after the second chain's: the path built of the design's parts with no stage's logic, still without ingest's request.",
    ],
  ];
  for (const [chainRuns, what] of chainTables) {
    if (!chainRuns?.length) continue;
    lines.push(
      '',
      what,
      '',
      '| offered | p50 | p99 | p99.9 | max | not through | pipeline p99 / this chain p99 | CPU µs per lead, all processes (receiver included) |',
      '| --- | --- | --- | --- | --- | --- | --- | --- |',
      ...chainRuns.map((c) => {
        const runs = runsAt(c.rate);
        return `| ${n0(c.rate)}/s | ${ms1(c.p50)} | ${ms1(c.p99)} | ${ms1(c.p999)} | ${ms1(c.max)} | ${n0(c.undelivered)} of ${n0(c.counted)} | ${ratio(median(runs.map((x) => x.p99)) / c.p99)} | ${n0(chainCpu(c))} |`;
      }),
    );
  }
  lines.push(
    '',
    `CPU per accepted lead of every process during the runs (µs, median of the runs; ingest is on the path here), the whole, and how many of the host's ${m.nproc} cores all of them kept busy over the run (first send to last delivery):`,
    '',
    `| offered | ${curveProcesses.join(' | ')} | **all** | cores busy |`,
    `| --- | ${curveProcesses.map(() => '---').join(' | ')} | --- | --- |`,
  );
  for (const rate of curveRates) {
    const runs = runsAt(rate);
    const rows = runs.map((x) => cpuPerLead(x.cpu, x.accepted, curveProcesses));
    const cells = curveProcesses.map((_, i) => n0(median(rows.map((row) => row.each[i]!))));
    const busy = median(runs.map((x) => coresBusy(x.cpu, x.drainSeconds)));
    lines.push(
      `| ${n0(rate)}/s | ${cells.join(' | ')} | **${n0(median(rows.map((x) => x.total)))}** | ${busy.toFixed(2)} |`,
    );
  }
  const counted = curveRates.filter((rate) => runsAt(rate)[0]?.brokerRequests !== undefined);
  if (counted.length > 0) {
    lines.push(
      '',
      "Requests the broker handled, from its own counters (JMX `RequestsPerSec` by API; first run of each rate, and the raw chain's run at that rate), per accepted lead:",
      '',
      '| offered | | requests/s | per lead | by API, per lead | broker CPU µs a request |',
      '| --- | --- | --- | --- | --- | --- |',
    );
    // the broker's entry is 'broker' in the curve's CPU and 'kafka broker' in the chain's
    const brokerCpu = (cpu: Record<string, number>) =>
      Object.entries(cpu).find(([name]) => name.endsWith('broker'))?.[1];
    for (const rate of counted) {
      const first = runsAt(rate)[0]!;
      const chain = limitAt(rate);
      const chainMicros = chain && brokerCpu(chain.cpuMicrosPerLead);
      for (const [who, mix, leads, cpuSeconds] of [
        ['pipeline', first.brokerRequests, first.accepted, brokerCpu(first.cpu)],
        [
          'raw chain',
          chain?.brokerRequests,
          chain?.sent ?? 0,
          chainMicros && (chainMicros * chain!.sent) / 1e6,
        ],
      ] as const) {
        if (mix === undefined) continue;
        const perLead = (n: number) => (n / Math.max(1, leads)).toFixed(2);
        lines.push(
          `| ${n0(rate)}/s | ${who} | ${n0(mix.total / mix.seconds)} | ${perLead(mix.total)} | ${mix.byApi
            .filter(([, n]) => n / Math.max(1, leads) >= 0.01)
            .map(([api, n]) => `${api} ${perLead(n)}`)
            .join(
              ', ',
            )} | ${cpuSeconds === undefined ? '–' : n0((cpuSeconds * 1e6) / mix.total)} |`,
        );
      }
    }
    const threaded = counted.filter((rate) => runsAt(rate)[0]!.brokerRequests!.threads);
    if (threaded.length > 0) {
      lines.push(
        '',
        "The broker's CPU by thread over the same spans (`/proc/<pid>/task`, the JVM's names from `jcmd Thread.print`, a pool's threads together), µs per accepted lead, the six largest:",
        '',
        '| offered | | by thread, µs a lead |',
        '| --- | --- | --- |',
      );
      for (const rate of threaded) {
        const first = runsAt(rate)[0]!;
        const chain = limitAt(rate);
        lines.push(
          `| ${n0(rate)}/s | pipeline | ${describeThreads(first.brokerRequests!.threads!, first.accepted)} |`,
        );
        if (chain?.brokerRequests?.threads)
          lines.push(
            `| ${n0(rate)}/s | raw chain | ${describeThreads(chain.brokerRequests.threads, chain.sent)} |`,
          );
      }
      const warming = threaded
        .map((rate) => ({ rate, share: compilerShare(runsAt(rate)[0]!.brokerRequests!.threads!) }))
        .filter(({ share }) => share > 0.1);
      if (warming.length > 0)
        lines.push(
          '',
          `**The broker was still warming up**: its JIT compiler threads took ${warming
            .map(({ rate, share }) => `${Math.round(share * 100)}% of its CPU at ${n0(rate)}/s`)
            .join(
              ', ',
            )}. A stack that has not yet carried tens of minutes of load is still compiling Kafka's hot paths; at those rates the broker's CPU, and through the two shared cores every process's latency, read high.`,
        );
    }
  }
  lines.push(
    '',
    'Event-loop delay p99 per service during the runs (ms, median / max of its per-second p99, first run of each rate):',
    '',
    `| offered | ${['ingest', ...STAGES].join(' | ')} |`,
    `| --- | ${['ingest', ...STAGES].map(() => '---').join(' | ')} |`,
    ...curveRates.map((rate) => {
      const first = runsAt(rate)[0]!;
      return `| ${n0(rate)}/s | ${loopRow(first.loopDelay, ['ingest', ...STAGES]).join(' | ')} |`;
    }),
    '',
  );
  if (r.hops) {
    const h = r.hops;
    const total = h.hops.reduce((a, x) => a + (Number.isFinite(x.p50) ? x.p50 : 0), 0);
    lines.push(
      `### 5. Per hop, from the records' timestamps (${n0(h.complete)} of ${n0(h.sampled)} sampled leads of the first ${n0(h.rate)}/s run found at every point)`,
      '',
      `Each point is a record's CreateTime on a topic of the path (kafkajs stamps it when the producer is handed the record), the sender's slot and the receiver's arrival; a hop is the previous producer's wait for its ack, the next consumer's wait for its fetch and that stage's processing up to its send (a transactional stage's records become readable at its commit, so the commit lands in the next hop).${h.hops.some((x) => x.to.startsWith('enricher.contacts')) ? ' A lead visits enricher.contacts once per contact key (email, then phone).' : ' enricher.contacts is not on the path (duplicate detection is off in this deployment).'}`,
      '',
      '| hop | p50 | p99 | share of the p50s |',
      '| --- | --- | --- | --- |',
      ...h.hops.map(
        (x) => `| ${x.from} → ${x.to} | ${ms1(x.p50)} | ${ms1(x.p99)} | ${pct(x.p50 / total)} |`,
      ),
      '',
      `Median end to end of the sample, slot → receiver: ${ms1(h.endToEndP50)}.`,
      '',
    );
    const st = runsAt(h.rate)[0]?.stageTimes;
    if (st)
      lines.push(
        "Of which the stages' own work, from their histograms over the same run (bucket upper bounds): " +
          STAGES.map(
            (s) =>
              `${s} ≤ ${ms1(st[s].recordP50)} / ≤ ${ms1(st[s].recordP99)} per record (p50 / p99), ≤ ${ms1(st[s].batchP50)} / ≤ ${ms1(st[s].batchP99)} per batch acked and committed`,
          ).join('; ') +
          '.',
        '',
      );
    const txns = runsAt(h.rate)[0]?.transactionTimes ?? [];
    if (txns.some((t) => t.count > 0))
      lines.push(
        "The router's two exactly-once hops, each chunk a transaction, by phase (its " +
          '`lead_router_transaction_phase_seconds` histogram over the same run, bucket upper bounds, p50 / p99): ' +
          describeTransactions(txns, (ms) => `≤ ${ms1(ms)}`) +
          ' (send: AddPartitionsToTxn and the records; offsets: AddOffsetsToTxn and TxnOffsetCommit, sent at the same time, both timed from the start; commit: EndTxn once both are answered). ' +
          'Records of a transaction are readable downstream only after its commit.',
        '',
      );
    const requests = runsAt(h.rate)[0]?.sinkRequestTimes ?? [];
    if (requests.some((t) => t.count > 0))
      lines.push(
        "sink-webhook's requests to the receiver, by phase (its `lead_router_sink_request_phase_seconds` " +
          'histogram over the same run, bucket upper bounds, p50 / p99): ' +
          describeSinkRequests(requests, (ms) => `≤ ${ms1(ms)}`) +
          " (gate: from the batch's turn to its request budget granted, the parking read included; answer: sent to answered). " +
          'The rest of the hop to the receiver is the fetch and the round the request waits for.',
        '',
      );
    const loops = runsAt(h.rate)[0]?.eventLoops ?? {};
    if (Object.keys(loops).length > 0)
      lines.push(
        "Each Node process's event loop over the same run (its main thread's schedstat), seconds on a CPU / " +
          'seconds runnable but waiting for one: ' +
          describeEventLoops(loops) +
          '. Time a hop spends waiting for a core is in its latency and in no profile as idle.',
        '',
      );
    const slowest = [...h.hops]
      .filter((x) => x.to !== 'leads.delivered')
      .sort((a, b) => b.p99 - a.p99)[0];
    if (slowest)
      lines.push(
        `The slowest hop at p99 on the way to the receiver: **${slowest.from} → ${slowest.to}** (${ms1(slowest.p99)}).`,
        '',
      );
    const chainRun = r.chainLatency.find((c) => c.rate === h.rate);
    const chainHops = chainRun?.hops ?? [];
    // the chain with sink-webhook's request, hop by hop (its sink hop holds the request)
    const webhookHops = r.chainWebhookLatency?.find((c) => c.rate === h.rate)?.hops ?? [];
    const withWebhook = (x: { from: string; to: string }) => {
      const w = webhookHops.find((y) => y.from === x.from && y.to === x.to);
      return webhookHops.length === 0 ? '' : w ? ` ${ms1(w.p50)} | ${ms1(w.p99)} |` : ' – | – |';
    };
    if (chainHops.length > 0)
      lines.push(
        `The raw chain's hops at the same rate (point 4's physical limit; a sample of its run's records, their CreateTime on every topic; no ingest or webhook request on its path)${webhookHops.length > 0 ? ", and the same chain's with sink-webhook's request (in its leads.routed → leads.delivered hop)" : ''}:`,
        '',
        webhookHops.length > 0
          ? '| hop | p50 | p99 | with the request: p50 | p99 |'
          : '| hop | p50 | p99 |',
        webhookHops.length > 0 ? '| --- | --- | --- | --- | --- |' : '| --- | --- | --- |',
        ...chainHops.map(
          (x) => `| ${x.from} → ${x.to} | ${ms1(x.p50)} | ${ms1(x.p99)} |${withWebhook(x)}`,
        ),
        '',
      );
    if (chainRun?.transactions.some((t) => t.count > 0))
      lines.push(
        "Its router hops' transactions, the same code (`PartitionTransactions`) on the same broker, by phase (p50 / p99, each timed): " +
          describeTransactions(chainRun.transactions, ms1) +
          '.',
        '',
      );
  }
  const rss = { ...r.memory };
  lines.push(
    '### 6. Memory (VmHWM at the end of the curve; ingest of point 2 apart)',
    '',
    `${Object.entries(rss)
      .map(([s, v]) => `${s} ${n0(v)} MB`)
      .join(
        ', ',
      )}, ingest under autocannon ${n0(r.ingest.peakRssMb)} MB; outside the pipeline: ${Object.entries(
      r.otherRss,
    )
      .map(([s, v]) => `${s} ${n0(v)} MB`)
      .join(', ')}.`,
    '',
    `### 7. Where the time goes (V8 CPU profile of every stage under load over ${n0(r.sizes.profile)} leads; slowest by CPU in point 3: **${r.slowest}**)`,
    '',
  );
  const topTable = (title: string, prof: ProfileSummary | undefined): void => {
    if (!prof) return;
    lines.push(
      `${title} (${n1(prof.totalMs / 1000)} s profiled, idle excluded from the list):`,
      '',
      '| # | function | where | self | share |',
      '| --- | --- | --- | --- | --- |',
      ...prof.top.map(
        (t, i) =>
          `| ${i + 1} | \`${t.fn}\` | ${t.where ? `\`${t.where}\`` : ''} | ${n0(t.ms)} ms | ${pct(t.share)} |`,
      ),
      '',
    );
  };
  topTable(`Top 10 self time in **${r.slowest}**`, r.profiles[r.slowest]);
  topTable(
    'Top 10 self time in **ingest** under a single-lead autocannon load of its own, after the measured runs',
    r.ingest.profile,
  );
  lines.push('Self time by package, every stage:', '');
  for (const [s, prof] of [
    ...STAGES.map((st) => [st, r.profiles[st]] as const),
    ['ingest', r.ingest.profile] as const,
  ]) {
    if (!prof) continue;
    lines.push(`- **${s}**: ${prof.packages.map((x) => `${x.name} ${pct(x.share)}`).join(', ')}`);
  }
  if (r.cpuComparison) {
    const c = r.cpuComparison;
    const names = [...new Set(c.runs.flatMap((x) => Object.keys(x.steady.usPerLead)))];
    lines.push(
      '',
      `### 8. CPU per lead against ${c.baseline.commit.slice(0, 7)} (same run, same stack, the same ${n0(c.leads)} leads through each build's normalizer, enricher, router and sink-webhook after ${n0(c.warmupLeads)} of warm-up, alternately)`,
      '',
      `| CPU µs per lead | ${c.runs.map((x) => `${x.build} ${x.round}`).join(' | ')} | baseline mean | current mean | current / baseline |`,
      `| --- | ${c.runs.map(() => '---').join(' | ')} | --- | --- | --- |`,
      ...names.map((name) => {
        const b = c.baseline.processUsPerLead[name] ?? NaN;
        const cur = c.current.processUsPerLead[name] ?? NaN;
        return `| ${name} | ${c.runs.map((x) => n0(x.steady.usPerLead[name] ?? NaN)).join(' | ')} | ${n0(b)} | ${n0(cur)} | ${Number.isFinite(b) && b > 0 ? (cur / b).toFixed(2) : '–'} |`;
      }),
      `| **all processes** | ${c.runs.map((x) => `**${n0(x.steady.totalUsPerLead)}**`).join(' | ')} | **${n0(c.baseline.meanUsPerLead)}** | **${n0(c.current.meanUsPerLead)}** | **${c.ratioOfMeans.toFixed(2)}** |`,
      `| delivered | ${c.runs.map((x) => `${n0(x.delivered)}/${n0(x.leads)}${x.stopped ? ` (${x.stopped})` : ''}`).join(' | ')} | | | |`,
      '',
      `Median of the runs: ${n0(c.current.medianUsPerLead)} µs (this tree) against ${n0(c.baseline.medianUsPerLead)} µs (${c.baseline.commit.slice(0, 7)}) = ${c.ratio.toFixed(2)}×${c.unaccounted.length > 0 ? `; not accounted: ${c.unaccounted.join(', ')}` : ''}.`,
    );
  }
  const halfP99 = median(halfRuns.map((x) => x.p99));
  const p99At1k = Math.max(...at1k.map((x) => x.p99));
  const maxRss = Math.max(...Object.values(rss), r.ingest.peakRssMb);
  const singleRatio = r.ingest.single.leadsPerSec / r.kafka.produceMsgsPerSec;
  lines.push(
    '',
    '### Targets (issue 15)',
    '',
    '| target | measured | |',
    '| --- | --- | --- |',
    `| speed-to-lead p99 < 150 ms, sender → receiver, at half the sustainable rate | ${n0(halfP99)} ms at ${n0(r.half)}/s (half of ${n0(r.sustainable)}/s), median of ${halfRuns.length} runs${limitNote(limitAt(r.half), webhookLimitAt(r.half), avroLimitAt(r.half))} | ${met(halfP99 < 150)} |`,
    `| never above 150 ms at 1,000 leads/s on a host that sustains ≥ 2,000 | ${at1k.length > 0 ? `highest run ${n0(p99At1k)} ms; this host sustains ${n0(r.sustainable)}/s${limitNote(limitAt(1_000), webhookLimitAt(1_000), avroLimitAt(1_000))}` : 'not run'} | ${r.sustainable < 2000 ? 'not applicable (host below 2,000/s)' : met(at1k.length > 0 && p99At1k < 150)} |`,
    `| single-lead ingest ≥ 0.3× raw kafkajs produce, p99 < 25 ms | ${pct(singleRatio)} of ${n0(r.kafka.produceMsgsPerSec)} msg/s, p99 ${r.ingest.single.p99} ms${r.ingest.floor ? `; a bare node:http server alone: ${pct(r.ingest.floor.requestsPerSec / r.kafka.produceMsgsPerSec)}` : ''}${r.ingest.nestFloor ? `; NestJS on Fastify alone: ${pct(r.ingest.nestFloor.requestsPerSec / r.kafka.produceMsgsPerSec)}` : ''}${r.ingest.nestKafkaFloor ? `, and with the write to Kafka: ${pct(r.ingest.nestKafkaFloor.requestsPerSec / r.kafka.produceMsgsPerSec)}` : ''} | ${met(singleRatio >= 0.3 && r.ingest.single.p99 < 25)} |`,
    `| every service ≤ 200 MB peak RSS | max ${n0(maxRss)} MB${chainPeakNote(r)} | ${met(maxRss <= 200)} |`,
    `| end to end ≥ 0.6× the raw same-hop kafkajs chain | ${n0(r.sustainable)} / ${n0(r.chain.leadsPerSec)} leads/s = ${(r.sustainable / r.chain.leadsPerSec).toFixed(2)}×${r.chainWebhook ? `; the chain with sink-webhook's request alone: ${(r.chainWebhook.leadsPerSec / r.chain.leadsPerSec).toFixed(2)}×` : ''}${r.chainAvro ? `, and with Avro on every hop: ${(r.chainAvro.leadsPerSec / r.chain.leadsPerSec).toFixed(2)}×` : ''} | ${met(r.sustainable / r.chain.leadsPerSec >= 0.6)} |`,
    r.cpuComparison
      ? `| CPU per lead, all processes, ≤ half of ${r.cpuComparison.baseline.commit.slice(0, 7)}'s in the same run | ${n0(r.cpuComparison.current.medianUsPerLead)} µs against ${n0(r.cpuComparison.baseline.medianUsPerLead)} µs = ${r.cpuComparison.ratio.toFixed(2)}×${r.chainWebhook ? `; the chain with sink-webhook's request alone: ${n0(chainCpuMicros(r.chainWebhook))} µs = ${(chainCpuMicros(r.chainWebhook) / r.cpuComparison.baseline.medianUsPerLead).toFixed(2)}×` : ''}${r.chainAvro ? `, and with Avro on every hop: ${n0(chainCpuMicros(r.chainAvro))} µs = ${(chainCpuMicros(r.chainAvro) / r.cpuComparison.baseline.medianUsPerLead).toFixed(2)}×` : ''} | ${met(r.cpuComparison.met)} |`
      : '| CPU per lead, all processes, ≤ half of fa703b9’s in the same run | not run (the baseline build was not cached for this smoke run) | |',
    '',
  );
  return lines.join('\n');
}

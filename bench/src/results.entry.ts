import type { SelfTime } from './cpu-profile';
import type { IngestFigures, PacedFigures } from './ingest.part';
import type { AvroFigures, KafkaLimit } from './kafka-limit.part';
import { STAGES, type Sample, type StageName, type ThroughputRun } from './pipeline.part';
import type { Machine } from './proc.stats';

export interface BenchResult {
  smoke: boolean;
  external: boolean;
  sizes: {
    raw: number;
    pipeline: number;
    ingestSeconds: number;
    steadySeconds: number;
    rates: number[];
    profile: number;
  };
  machine: Machine;
  machineAfter: Machine;
  seconds: number;
  kafka: KafkaLimit;
  avro: AvroFigures;
  ingest: {
    single: IngestFigures;
    batch: IngestFigures;
    cpuSeconds: number;
    peakRssMb: number;
    profile?: ProfileSummary;
  };
  pipeline: Omit<ThroughputRun, 'services'> & { brokerCpuSeconds: number; services: undefined };
  memory: Record<StageName, number>;
  ingestSteadyPeakRssMb: number;
  steady: (PacedFigures & { delivered: number; p50: number; p99: number; max: number })[];
  slowest: StageName;
  profiles: Partial<Record<StageName, ProfileSummary>>;
}

export interface ProfileSummary {
  file: string;
  totalMs: number;
  top: SelfTime[];
  packages: { name: string; share: number }[];
}

const n0 = (v: number): string =>
  Number.isFinite(v) ? Math.round(v).toLocaleString('en-US') : 'n/a';
const n1 = (v: number): string => (Number.isFinite(v) ? v.toFixed(1) : 'n/a');
const pct = (v: number): string => (Number.isFinite(v) ? `${(v * 100).toFixed(0)}%` : 'n/a');
const k = (v: number): string =>
  v >= 1000 ? `${(v / 1000).toFixed(v >= 10_000 ? 0 : 1)}k` : String(Math.round(v));
const met = (ok: boolean): string => (ok ? '**met**' : '**missed**');

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

export function renderEntry(r: BenchResult): string {
  const m = r.machine;
  const lines: string[] = [];
  const e2e = r.pipeline.count / r.pipeline.fromReadySeconds;
  const limitMin = Math.min(r.kafka.produceMsgsPerSec, r.kafka.consumeMsgsPerSec);
  lines.push(
    `## Pipeline benchmark (issue 6)${r.smoke ? ' — smoke run' : ''}`,
    '',
    `- **Date:** ${new Date().toISOString().replace(/\.\d+Z$/, 'Z')}, ${n0(r.seconds)} s for the whole session`,
    `- **Machine:** \`nproc\` = ${m.nproc}, ${m.cpuModel}, ${m.memoryGb.toFixed(1)} GB RAM, Node ${m.node}; ` +
      `load average at start ${m.loadAverage.map((v) => v.toFixed(2)).join(' / ')}, at end ${r.machineAfter.loadAverage.map((v) => v.toFixed(2)).join(' / ')} (shared machine)`,
    `- **Commit:** \`${m.commit}\`${m.dirty ? ' with uncommitted changes' : ''}`,
    `- **Kafka:** ${r.external ? 'the cluster in KAFKA_BROKERS' : 'the local stack (single KRaft broker + Apicurio), started by the bench on the same cores'}`,
    '- **Reproduce:** `npm run bench` (builds, starts a local stack unless KAFKA_BROKERS and SCHEMA_REGISTRY_URL are set, appends this entry); `npm run bench -- --smoke` for a < 90 s check',
    '',
    "### 1. Kafka's own limit (same session)",
    '',
    '| what | figure |',
    '| --- | --- |',
    `| kafkajs produce, idempotent, acks=all, ${r.kafka.recordBytes}-byte records, ${r.kafka.partitions} partitions, sendBatch of 500, 4 in flight | ${n0(r.kafka.produceMsgsPerSec)} msg/s |`,
    `| kafkajs \`eachBatch\` consume, commit per batch | ${n0(r.kafka.consumeMsgsPerSec)} msg/s |`,
    `| avsc encode / decode RawLead (${r.avro.rawLeadBytes} B) | ${n0(r.avro.rawEncodePerSec)} / ${n0(r.avro.rawDecodePerSec)} per s |`,
    `| avsc encode / decode RoutedLead with its decision trace (${r.avro.routedLeadBytes} B) | ${n0(r.avro.routedEncodePerSec)} / ${n0(r.avro.routedDecodePerSec)} per s |`,
    `| RoutedLead \`isValid\` + encode (what AvroCodec.encode did) | ${n0(r.avro.routedValidateEncodePerSec)} per s |`,
    '',
    `### 2. Ingest (one process, autocannon, ${r.sizes.ingestSeconds} s each, every body a distinct lead)`,
    '',
    '| endpoint | connections | leads/s | requests/s | p50 | p99 | p99.9 | 202s | non-2xx | errors |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const f of [r.ingest.single, r.ingest.batch]) {
    lines.push(
      `| \`POST ${f.endpoint}\`${f.endpoint.endsWith('batch') ? ' (100 leads)' : ''} | ${f.connections} | ${n0(f.leadsPerSec)} | ${n0(f.requestsPerSec)} | ${f.p50} ms | ${f.p99} ms | ${f.p999} ms | ${n0(f.ok)} | ${n0(f.non2xx)} | ${n0(f.errors)} |`,
    );
  }
  lines.push(
    '',
    `Ingest used ${n1(r.ingest.cpuSeconds)} CPU-s over both runs; ratio of single-lead ingest to raw kafkajs produce: ${pct(r.ingest.single.leadsPerSec / r.kafka.produceMsgsPerSec)}.`,
    '',
    `### 3. Pipeline throughput (${n0(r.pipeline.count)} RawLeads on leads.raw, then normalizer, enricher, router, sink-webhook as processes, a receiver process)`,
    '',
    '| what | figure |',
    '| --- | --- |',
    `| delivered (distinct webhook-id) / dead-lettered | ${n0(r.pipeline.delivered)} / ${n0(r.pipeline.dead)} of ${n0(r.pipeline.count)}${r.pipeline.complete ? '' : ' — **incomplete at the deadline**'} |`,
    `| produce of the ${n0(r.pipeline.count)} RawLeads before the stages start | ${n1(r.pipeline.produceSeconds)} s |`,
    `| stages spawned to all /health 200 | ${n1(r.pipeline.startupSeconds)} s |`,
    `| **end to end**, all stages ready → last delivery | ${n1(r.pipeline.fromReadySeconds)} s = **${n0(e2e)} leads/s** |`,
    `| spawn → last delivery | ${n1(r.pipeline.wallSeconds)} s = ${n0(r.pipeline.count / r.pipeline.wallSeconds)} leads/s |`,
    `| first → last delivery | ${n1(r.pipeline.firstToLastSeconds)} s = ${n0(r.pipeline.count / r.pipeline.firstToLastSeconds)} leads/s |`,
    `| ratio to kafkajs produce / consume | ${pct(e2e / r.kafka.produceMsgsPerSec)} / ${pct(e2e / r.kafka.consumeMsgsPerSec)} (each stage consumes and produces: min of the two is ${n0(limitMin)} msg/s) |`,
    `| broker CPU over the run | ${n1(r.pipeline.brokerCpuSeconds)} CPU-s |`,
    '',
    '| stage | avg leads/s (active span) | best 5 s | ratio avg / kafkajs produce | CPU-s | CPU ms per 1k leads | peak RSS |',
    '| --- | --- | --- | --- | --- | --- | --- |',
  );
  for (const s of STAGES) {
    const { avg, peak } = stageRates(r.pipeline.samples, s, r.pipeline.count);
    lines.push(
      `| ${s} | ${n0(avg)} | ${n0(peak)} | ${pct(avg / r.kafka.produceMsgsPerSec)} | ${n1(r.pipeline.cpuSeconds[s])} | ${n0((r.pipeline.cpuSeconds[s] / r.pipeline.count) * 1e6)} | ${n0(r.memory[s])} MB |`,
    );
  }
  const step = Math.max(1, Math.ceil(r.pipeline.samples.length / 16));
  const series = r.pipeline.samples.filter(
    (_, i) => i % step === 0 || i === r.pipeline.samples.length - 1,
  );
  lines.push(
    '',
    `Consumer lag (\`lead_router_consumer_lag\`, summed over partitions; sampled every second, every ${step}th shown) and deliveries:`,
    '',
    `| t (s) | ${series.map((s) => s.t.toFixed(0)).join(' | ')} |`,
    `| --- | ${series.map(() => '---').join(' | ')} |`,
    ...STAGES.map((st) => `| ${st} | ${series.map((s) => k(s.lag[st])).join(' | ')} |`),
    `| delivered | ${series.map((s) => k(s.delivered)).join(' | ')} |`,
    '',
    `### 4. Speed-to-lead under steady load (ingest HTTP, open-model pacing, ${r.sizes.steadySeconds} s each, \`leads.delivered\` \`speed_to_lead_ms\` = sink ack − capture)`,
    '',
    '| offered | sent | 202 | non-2xx / errors | delivered | p50 | p99 | max | 202 latency p50 / p99 |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
    ...r.steady.map(
      (s) =>
        `| ${n0(s.offeredPerSec)}/s | ${n0(s.sent)} | ${n0(s.accepted)} | ${n0(s.non2xx)} / ${n0(s.errors)} | ${n0(s.delivered)} | ${n0(s.p50)} ms | ${n0(s.p99)} ms | ${n0(s.max)} ms | ${n1(s.ackP50)} / ${n1(s.ackP99)} ms |`,
    ),
    '',
    '### 5. Memory (VmHWM at the end of point 3; ingest at the end of points 2 and 4)',
    '',
    `${STAGES.map((s) => `${s} ${n0(r.memory[s])} MB`).join(', ')}, ingest ${n0(r.ingest.peakRssMb)} MB (point 2) / ${n0(r.ingestSteadyPeakRssMb)} MB (point 4).`,
    '',
    `### 6. Where the time goes (V8 CPU profile, \`.cpuprofile\` as \`--cpu-prof\` writes it, of every stage under load over ${n0(r.sizes.profile)} leads; slowest by CPU in point 3: **${r.slowest}**)`,
    '',
  );
  const topTable = (title: string, p: ProfileSummary | undefined): void => {
    if (!p) return;
    lines.push(
      `${title} (${n1(p.totalMs / 1000)} s profiled, idle excluded from the list):`,
      '',
      '| # | function | where | self | share |',
      '| --- | --- | --- | --- | --- |',
      ...p.top.map(
        (t, i) =>
          `| ${i + 1} | \`${t.fn}\` | ${t.where ? `\`${t.where}\`` : ''} | ${n0(t.ms)} ms | ${pct(t.share)} |`,
      ),
      '',
    );
  };
  topTable(`Top 10 self time in **${r.slowest}**`, r.profiles[r.slowest]);
  topTable('Top 10 self time in **ingest** under the single-lead autocannon run', r.ingest.profile);
  lines.push('Self time by package, every stage:', '');
  for (const [s, p] of [
    ...STAGES.map((st) => [st, r.profiles[st]] as const),
    ['ingest', r.ingest.profile] as const,
  ]) {
    if (!p) continue;
    lines.push(`- **${s}**: ${p.packages.map((x) => `${x.name} ${pct(x.share)}`).join(', ')}`);
  }
  const ingestOk = r.ingest.single.leadsPerSec >= 15_000 && r.ingest.single.p99 < 25;
  const batchOk = r.ingest.batch.leadsPerSec >= 15_000 && r.ingest.batch.p99 < 25;
  const steady1k = r.steady[0];
  const maxRss = Math.max(
    ...STAGES.map((s) => r.memory[s]),
    r.ingest.peakRssMb,
    r.ingestSteadyPeakRssMb,
  );
  lines.push(
    '',
    '### Targets',
    '',
    '| target | measured | |',
    '| --- | --- | --- |',
    `| ingest ≥ 15,000 leads/s with p99 < 25 ms | single-lead: ${n0(r.ingest.single.leadsPerSec)} leads/s, p99 ${r.ingest.single.p99} ms; batch: ${n0(r.ingest.batch.leadsPerSec)} leads/s, p99 ${r.ingest.batch.p99} ms | single ${met(ingestOk)}, batch ${met(batchOk)} |`,
    `| ≥ 10,000 leads/s end to end | ${n0(e2e)} leads/s | ${met(e2e >= 10_000 && r.pipeline.complete)} |`,
    `| speed-to-lead p99 < 150 ms at 1,000 leads/s | ${steady1k ? `${n0(steady1k.p99)} ms at ${n0(steady1k.offeredPerSec)}/s` : 'n/a'} | ${met(!!steady1k && steady1k.p99 < 150 && steady1k.offeredPerSec >= 1000)} |`,
    `| every service < 200 MB RSS | max ${n0(maxRss)} MB | ${met(maxRss < 200)} |`,
    '',
  );
  return lines.join('\n');
}

/**
 * Peak memory through a backlog (issue 15, point 4): `--leads` RawLeads on leads.raw, then
 * normalizer, enricher, router and sink-webhook started as processes and run until every lead
 * reached the receiver; each stage's peak RSS (VmHWM), its RSS when it had started, its CPU per
 * lead (and the broker's, when BENCH_STACK_DIR names the stack's data dir), and the warnings and
 * errors each stage logged (a failure only a backlog provokes, every partition's chunk full at
 * once, shows there and nowhere else). Settings are compared in one run: every `--variant
 * label:setting;setting` is run with its settings on every stage, each a `KEY=value` of the
 * environment or a Node flag (`--…`, after the services' own), the variants alternating round by
 * round so the host's drift falls on each alike. Every stage runs with memory.preload.ts, which
 * writes down what its memory was made of at its highest RSS (V8's heap, Buffers, file pages, the
 * rest); the second table gives it. Nothing is recorded: the figures go to stdout.
 *
 *   npm run bench:memory
 *   npm run bench:memory -- --leads 50000 --rounds 3 \
 *     --variant 'default:' --variant 'semi8:--max-semi-space-size=8;STAGE_CONCURRENCY=2'
 *   npm run bench:memory -- --rounds 1 --variant 'prof:--cpu-prof;--cpu-prof-dir=/tmp/prof'
 *     (a profile per stage: a variant with `--cpu-prof` or `--heap-prof` stops its stages cleanly)
 *
 * Uses KAFKA_BROKERS and SCHEMA_REGISTRY_URL when both are set, else starts a local stack.
 */
import { randomBytes } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { benchStack } from './bench.stack';
import {
  STAGES,
  benchEnvFor,
  startReceiver,
  throughputRun,
  warmTransactions,
  type StageName,
} from './pipeline.part';
import { composition, type MemoryComposition, type MemorySample } from './memory.sample';
import { parseVariant } from './variant.part';
import { machine, peakRssMb, readStackPids, rssMb } from './proc.stats';

const repoRoot = resolve(__dirname, '..', '..');

const { values: args } = parseArgs({
  options: {
    leads: { type: 'string', default: '50000' },
    rounds: { type: 'string', default: '1' },
    variant: { type: 'string', multiple: true, default: ['default:'] },
  },
});

const say = (msg: string): void => {
  process.stdout.write(`[memory ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

interface MemoryRun {
  variant: string;
  round: number;
  leadsPerSecond: number;
  complete: boolean;
  /**
   * per stage: RSS once it answered /health, peak RSS at the end, CPU µs per lead, and what the
   * RSS was made of at its highest (null when the stage wrote no sample)
   */
  stages: Record<
    StageName,
    { startMb: number; peakMb: number; cpuUs: number; atPeak: MemoryComposition | null }
  >;
  /** the broker's CPU µs per lead (NaN when its pid is not known) */
  brokerCpuUs: number;
}

/** Pino's levels from warn up, by name (the services' logs) and by number (its default). */
const WARNING_LEVELS = new Set<unknown>(['warn', 'error', 'fatal', 40, 50, 60]);

/** A service log's lines at warn level or above, counted by message and error. */
function warnings(logFile: string): Map<string, number> {
  const counts = new Map<string, number>();
  for (const line of readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.startsWith('{')) continue;
    let entry: { level?: unknown; msg?: string; error?: string; err?: { type?: string } };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // a line the service did not write as JSON (a stack trace's)
    }
    if (!WARNING_LEVELS.has(entry.level)) continue;
    const why = entry.err?.type ?? entry.error;
    const key = `${entry.msg ?? '?'}${why ? ` (${why})` : ''}`;
    counts.set(key, (counts.get(key) ?? 0) + 1);
  }
  return counts;
}

function renderTable(runs: readonly MemoryRun[]): string {
  const header = ['variant', 'round', 'leads/s', ...STAGES.map((s) => `${s} MB start / peak`)];
  header.push(...STAGES.map((s) => `${s} CPU µs/lead`), 'broker CPU µs/lead');
  const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  const lines = [row(header), row(header.map(() => '---'))];
  for (const r of runs)
    lines.push(
      row([
        r.variant,
        r.round,
        r.complete ? r.leadsPerSecond.toFixed(0) : 'incomplete',
        ...STAGES.map((s) => `${r.stages[s].startMb} / ${r.stages[s].peakMb}`),
        ...STAGES.map((s) => r.stages[s].cpuUs.toFixed(0)),
        Number.isNaN(r.brokerCpuUs) ? '–' : r.brokerCpuUs.toFixed(0),
      ]),
    );
  return lines.join('\n');
}

/** What each stage's memory was made of at its highest RSS, one row per run and stage. */
function renderComposition(runs: readonly MemoryRun[]): string {
  const header = [
    'variant',
    'round',
    'stage',
    'RSS MB',
    'file pages',
    'V8 heap (committed)',
    'Buffers and other external',
    'the rest (malloc, stacks)',
  ];
  const row = (cells: (string | number)[]): string => `| ${cells.join(' | ')} |`;
  const lines = [row(header), row(header.map(() => '---'))];
  for (const r of runs)
    for (const s of STAGES) {
      const c = r.stages[s].atPeak;
      if (!c) continue;
      const mb = (n: number): string => n.toFixed(0);
      const parts = [c.rssMb, c.fileMb, c.heapMb, c.externalMb, c.otherMb].map(mb);
      lines.push(row([r.variant, r.round, s, ...parts]));
    }
  return lines.join('\n');
}

/** The sample memory.preload.ts left in `file`, or null if it wrote none. */
function readSample(file: string): MemoryComposition | null {
  if (!existsSync(file)) return null;
  return composition(JSON.parse(readFileSync(file, 'utf8')) as MemorySample);
}

async function main(): Promise<void> {
  const leads = Number(args.leads);
  const rounds = Number(args.rounds);
  const variants = args.variant.map(parseVariant);
  say(`${leads} leads a run, ${rounds} round(s) of ${variants.map((v) => v.label).join(', ')}`);
  const host = machine(repoRoot);
  say(
    `${host.nproc} cores, ${host.cpuModel}, Node ${host.node}, commit ${host.commit}` +
      `${host.dirty ? ' (dirty)' : ''}, load ${host.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
  );
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-memory-'));
  const { brokers, registryUrl, stack } = await benchStack(workDir, say);
  const receiver = await startReceiver(repoRoot);
  const env = benchEnvFor({ repoRoot, workDir, brokers, registryUrl, receiver, clientId: 'bench' });
  const brokerPid = readStackPids(stack?.dataDir ?? process.env['BENCH_STACK_DIR']).get(
    'kafka broker',
  );
  const otherPids = new Map(brokerPid === undefined ? [] : [['broker', brokerPid] as const]);
  const runs: MemoryRun[] = [];
  try {
    await warmTransactions(env, `bench-${randomBytes(3).toString('hex')}-mem.`);
    for (let round = 1; round <= rounds; round++)
      for (const variant of variants) {
        const prefix = `bench-${randomBytes(3).toString('hex')}-mem.`;
        const startMb = new Map<StageName, number>();
        const sampleOf = (s: StageName): string => join(workDir, `${prefix}${s}.memory.json`);
        const run = await throughputRun(env, receiver, prefix, leads, {
          timeoutMs: 900_000,
          say,
          label: `${variant.label} ${round}`,
          serviceEnv: (s) => ({ ...variant.env, BENCH_MEMORY_SAMPLE: sampleOf(s) }),
          nodeFlags: [`--require=${join(__dirname, 'memory.preload.js')}`, ...variant.nodeFlags],
          otherPids,
          onReady: (services) => {
            for (const [s, p] of services) startMb.set(s, rssMb(p.process.pid!) ?? NaN);
          },
        });
        try {
          const stages = {} as MemoryRun['stages'];
          for (const s of STAGES)
            stages[s] = {
              startMb: Math.round(startMb.get(s) ?? NaN),
              peakMb: Math.round(peakRssMb(run.services.get(s)!.process.pid!) ?? NaN),
              cpuUs: ((run.cpu[s] ?? NaN) * 1e6) / leads,
              atPeak: readSample(sampleOf(s)),
            };
          runs.push({
            variant: variant.label,
            round,
            leadsPerSecond: leads / run.wallSeconds,
            complete: run.complete,
            stages,
            brokerCpuUs: ((run.cpu['broker'] ?? NaN) * 1e6) / leads,
          });
          say(
            `${variant.label} ${round}: ` +
              STAGES.map((s) => `${s} peak ${stages[s].peakMb} MB`).join(', '),
          );
          for (const s of STAGES)
            for (const [msg, n] of warnings(run.services.get(s)!.logFile))
              say(`   ${s} logged ${n}× ${msg}`);
        } finally {
          // A profiling variant's stages get SIGTERM: V8 writes `--cpu-prof`/`--heap-prof` files
          // only on a clean exit. The others are killed, which is quicker.
          const profiling = variant.nodeFlags.some((f) => /^--(cpu|heap)-prof/.test(f));
          for (const service of run.services.values())
            await (profiling ? service.stop() : service.kill());
        }
      }
    process.stdout.write(`\n${renderTable(runs)}\n`);
    process.stdout.write(`\nAt each stage's highest RSS:\n\n${renderComposition(runs)}\n`);
  } finally {
    await receiver.stop();
    await stack?.stop();
    if (stack) rmSync(stack.dataDir, { recursive: true, force: true });
  }
}

if (require.main === module)
  main().catch((err: unknown) => {
    process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  });

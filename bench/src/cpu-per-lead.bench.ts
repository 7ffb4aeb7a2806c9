/**
 * CPU per lead against the baseline commit (issue 15's first target: at most half of what
 * fa703b9 costs, both measured in the same run on the same host). Builds the baseline once in a
 * cache directory (baseline.part.ts), then runs the same leads through it and through this tree
 * alternately (the order reversed every other round) and prints every process's CPU per lead and
 * the ratio.
 *
 *   npm run bench:cpu              # 30,000 leads per run, 2 rounds; < 8 minutes once built
 *   npm run bench:cpu -- --smoke   # 2,000 leads per run after 500 of warm-up, 1 round
 *
 * CPU_BENCH_LEADS, CPU_BENCH_ROUNDS and CPU_BENCH_BASELINE override the sizes and the commit.
 * Uses KAFKA_BROKERS and SCHEMA_REGISTRY_URL when both are set, else starts a local stack. The
 * broker and registry of a stack this bench did not start are accounted when BENCH_STACK_DIR
 * names its data dir (stack.cli's --data-dir, which holds their pids.json).
 */
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { createLogger } from '@lead-router/observability';
import { cpuPerLeadComparison, prepareBaseline, type CpuComparison } from './baseline.part';
import { benchKafka, benchStack } from './bench.stack';
import { stackCpuSources } from './cpu.accounting';
import { startReceiver } from './pipeline.part';
import { machine } from './proc.stats';

const repoRoot = resolve(__dirname, '..', '..');
const smoke = process.argv.includes('--smoke');
const leads = Number(process.env['CPU_BENCH_LEADS'] ?? (smoke ? 2_000 : 30_000));
const warmupLeads = smoke ? 500 : 1_000;
const rounds = Number(process.env['CPU_BENCH_ROUNDS'] ?? (smoke ? 1 : 2));
const baselineCommit = process.env['CPU_BENCH_BASELINE'] ?? 'fa703b9';

const say = (msg: string): void => {
  process.stdout.write(`[cpu-bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

const us = (n: number | undefined): string =>
  n === undefined || !Number.isFinite(n) ? '–' : n.toFixed(0);

/** One row per process, one column per run, then each build's mean and the ratio. */
export function renderCpuTable(result: CpuComparison): string {
  const { runs } = result;
  const names = [...new Set(runs.flatMap((r) => Object.keys(r.steady.usPerLead)))];
  const header = [
    'CPU µs per lead',
    ...runs.map((r) => `${r.build} ${r.round}`),
    'baseline mean',
    'current mean',
    'current / baseline',
  ];
  const row = (cells: string[]): string => `| ${cells.join(' | ')} |`;
  const ratio = (c: number | undefined, b: number | undefined): string =>
    c !== undefined && b !== undefined && b > 0 ? (c / b).toFixed(2) : '–';
  const lines = [row(header), row(header.map(() => '---'))];
  for (const name of names) {
    const b = result.baseline.processUsPerLead[name];
    const c = result.current.processUsPerLead[name];
    lines.push(
      row([name, ...runs.map((r) => us(r.steady.usPerLead[name])), us(b), us(c), ratio(c, b)]),
    );
  }
  lines.push(
    row([
      '**all processes**',
      ...runs.map((r) => `**${us(r.steady.totalUsPerLead)}**`),
      `**${us(result.baseline.meanUsPerLead)}**`,
      `**${us(result.current.meanUsPerLead)}**`,
      `**${result.ratioOfMeans.toFixed(2)}**`,
    ]),
    row([
      'from spawn (startup and warm-up in)',
      ...runs.map((r) => us(r.fromSpawn.totalUsPerLead)),
      us(result.baseline.fromSpawnUsPerLead),
      us(result.current.fromSpawnUsPerLead),
      ratio(result.current.fromSpawnUsPerLead, result.baseline.fromSpawnUsPerLead),
    ]),
    row([
      'delivered / wall s',
      ...runs.map(
        (r) =>
          `${r.delivered}/${r.leads} in ${r.steady.wallSeconds.toFixed(1)} s` +
          (r.stopped !== undefined ? ` (stopped: ${r.stopped})` : ''),
      ),
      '',
      '',
      '',
    ]),
  );
  const verdict =
    `median ${us(result.current.medianUsPerLead)} µs (current ${result.current.commit.slice(0, 7)}) / ` +
    `${us(result.baseline.medianUsPerLead)} µs (baseline ${result.baseline.commit.slice(0, 7)}) = ` +
    `${result.ratio.toFixed(2)}: target ≤ 0.50 ${result.met ? 'met' : 'missed'}`;
  const caveats =
    result.unaccounted.length > 0 ? `\nnot accounted: ${result.unaccounted.join(', ')}` : '';
  return `${lines.join('\n')}\n\n${verdict}${caveats}\n`;
}

/**
 * Ctrl-C or a kill ends this process before the run's `finally` stops what it spawned: stop every
 * child (stages, receiver) first, by pid, so none is left consuming.
 */
function stopChildrenOnSignal(): void {
  const stop = (signal: NodeJS.Signals): void => {
    for (const entry of readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        if (ppid === process.pid) process.kill(Number(entry), 'SIGTERM');
      } catch {
        // gone meanwhile
      }
    }
    say(`${signal}: stopped every child process (stages, receiver, a stack this bench started)`);
    process.exit(130);
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
}

async function main(): Promise<void> {
  stopChildrenOnSignal();
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-cpu-bench-'));
  const host = machine(repoRoot);
  say(
    `${host.cpuModel}, ${host.nproc} cores, load ${host.loadAverage.map((l) => l.toFixed(1)).join(' ')}`,
  );
  const baselineRoot = await prepareBaseline(baselineCommit, say);
  const { brokers, registryUrl, stack } = await benchStack(workDir, say);
  const receiver = await startReceiver(repoRoot);
  try {
    const result = await cpuPerLeadComparison({
      brokers,
      registryUrl,
      kafka: benchKafka(brokers, 'bench-cpu', createLogger('bench', 'warn')),
      receiver,
      stackSources: stackCpuSources(stack?.dataDir ?? process.env['BENCH_STACK_DIR'] ?? ''),
      workDir,
      leads,
      warmupLeads,
      rounds,
      baselineCommit,
      baselineRoot,
      onProgress: say,
    });
    const json = join(workDir, 'cpu-result.json');
    writeFileSync(json, JSON.stringify({ machine: host, smoke, ...result }, null, 2));
    process.stdout.write(`\n${renderCpuTable(result)}\n`);
    say(`raw figures: ${json}`);
  } finally {
    await receiver.stop();
    await stack?.stop();
    if (stack) rmSync(stack.dataDir, { recursive: true, force: true });
  }
}

main().catch((err: unknown) => {
  process.stderr.write(
    `cpu bench failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

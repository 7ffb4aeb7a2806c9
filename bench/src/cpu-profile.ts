import { existsSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { waitFor } from '@lead-router/local-stack';

/**
 * The environment that preloads `profile.preload.ts` into a service: SIGUSR2 starts V8's profiler
 * and the next one writes its profile to `file`.
 */
export function profilerEnv(repoRoot: string, file: string): Record<string, string> {
  return {
    NODE_OPTIONS: `--require ${join(repoRoot, 'bench', 'dist', 'profile.preload.js')}`,
    BENCH_CPU_PROFILE: file,
  };
}

/**
 * Waits, at most `timeoutMs`, for the profile a preloaded service writes on its second SIGUSR2;
 * the preload renames it into place whole, so once it is there it can be read. False if it never
 * came.
 */
export function waitForProfile(file: string, timeoutMs = 15_000): Promise<boolean> {
  return waitFor(() => existsSync(file), { timeoutMs, what: `the profile ${file}` }).then(
    () => true,
    () => false,
  );
}

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
}

interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface SelfTime {
  fn: string;
  where: string;
  ms: number;
  share: number;
}

/**
 * Self time per function in a V8 `.cpuprofile`: each sample's delta is charged to the node it
 * landed in, and nodes of one function (same name, file and line) are summed across call paths.
 */
export function selfTimes(file: string, repoRoot: string): { total: number; top: SelfTime[] } {
  const profile = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const byId = new Map(profile.nodes.map((n) => [n.id, n]));
  const perNode = new Map<number, number>();
  const samples = profile.samples ?? [];
  const deltas = profile.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) {
    // a delta is the time before sample i; charge it to the sample that ended it
    const id = samples[i]!;
    perNode.set(id, (perNode.get(id) ?? 0) + (deltas[i] ?? 0));
  }
  const perFn = new Map<string, SelfTime>();
  let total = 0;
  for (const [id, us] of perNode) {
    const node = byId.get(id);
    if (!node) continue;
    total += us;
    const { functionName, url, lineNumber } = node.callFrame;
    const fn = functionName || '(anonymous)';
    const where = url
      ? `${shorten(url, repoRoot)}:${lineNumber + 1}`
      : fn.startsWith('(')
        ? ''
        : '(native)';
    const key = `${fn}@${where}`;
    const entry = perFn.get(key) ?? { fn, where, ms: 0, share: 0 };
    entry.ms += us / 1000;
    perFn.set(key, entry);
  }
  const top = [...perFn.values()].sort((a, b) => b.ms - a.ms);
  for (const t of top) t.share = total > 0 ? t.ms / (total / 1000) : 0;
  return { total: total / 1000, top };
}

/**
 * Prints a profile's top self times (idle left out) and its shares by package, one line each,
 * through `say`.
 */
export function printProfile(
  say: (msg: string) => void,
  label: string,
  file: string,
  repoRoot: string,
  lines = 25,
): void {
  const { total, top } = selfTimes(file, repoRoot);
  say(`profile of ${label} (${(total / 1000).toFixed(1)} s), top self time, idle excluded:`);
  for (const t of top.filter((s) => s.fn !== '(idle)').slice(0, lines)) {
    say(`   ${t.ms.toFixed(0).padStart(6)} ms  ${t.fn}  ${t.where}`);
  }
  say(
    `   by package: ${byPackage(top)
      .slice(0, 10)
      .map((p) => `${p.name} ${(p.share * 100).toFixed(0)}%`)
      .join(', ')}`,
  );
}

/** Self time grouped by package (node_modules/<pkg>, node:internal, our libs, V8 states). */
export function byPackage(all: readonly SelfTime[]): { name: string; share: number }[] {
  const sums = new Map<string, number>();
  for (const t of all) {
    const name = packageOf(t);
    sums.set(name, (sums.get(name) ?? 0) + t.share);
  }
  return [...sums].map(([name, share]) => ({ name, share })).sort((a, b) => b.share - a.share);
}

function packageOf(t: SelfTime): string {
  if (t.fn === '(garbage collector)') return 'GC';
  if (t.fn === '(idle)' || t.fn === '(program)') return t.fn;
  // fetch() is undici and WHATWG streams inside node core: worth telling apart
  if (t.where.includes('deps/undici')) return 'undici (fetch)';
  if (t.where.includes('internal/webstreams')) return 'web streams (fetch)';
  const nm = /node_modules\/((?:@[^/]+\/)?[^/]+)/.exec(t.where);
  if (nm) return nm[1]!;
  if (t.where.startsWith('node:')) return 'node core';
  const lib = /^(libs|services)\/([^/]+)/.exec(t.where);
  if (lib) return `${lib[1]}/${lib[2]}`;
  return t.where === '(native)' ? 'native' : 'other';
}

function shorten(url: string, repoRoot: string): string {
  const path = url.startsWith('file://') ? url.slice('file://'.length) : url;
  if (!path.startsWith('/')) return path;
  const rel = relative(repoRoot, path);
  const nm = rel.lastIndexOf('node_modules/');
  return nm >= 0 ? rel.slice(nm) : rel;
}

import { execFileSync } from 'node:child_process';
import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

/**
 * CPU accounting of a set of named processes, for "CPU per lead, all processes summed": every
 * stage, the broker, the registry, the receiver and the harness itself.
 *
 * A child process is read from /proc/<pid>/stat (utime + stime of the process, plus cutime +
 * cstime of the children it has waited for) and its live descendants are added, so a service
 * that forks is measured whole. The harness is read with process.cpuUsage(), which covers every
 * thread of this process.
 */

/** One process to account: a pid, or the harness (this process). */
export type CpuSource = { name: string; pid: number } | { name: string; self: true };

export interface CpuSnapshot {
  /** performance.now() when the snapshot was taken, in ms */
  at: number;
  /** CPU-seconds used so far, by source name */
  seconds: Record<string, number>;
  /** sources whose process was gone when the snapshot was taken (their figure is missing) */
  gone: string[];
}

export interface CpuUsage {
  wallSeconds: number;
  leads: number;
  /** CPU-seconds each process used between the two snapshots */
  seconds: Record<string, number>;
  totalSeconds: number;
  /** CPU µs per lead of each process */
  usPerLead: Record<string, number>;
  totalUsPerLead: number;
  /** processes missing from the later snapshot: the total lacks them */
  gone: string[];
}

let ticksPerSecond: number | undefined;

/** The kernel's clock ticks per second (USER_HZ), in which /proc reports CPU time. */
function clockTicks(): number {
  if (ticksPerSecond !== undefined) return ticksPerSecond;
  try {
    ticksPerSecond = Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim());
  } catch {
    ticksPerSecond = 100;
  }
  if (!Number.isFinite(ticksPerSecond) || ticksPerSecond <= 0) ticksPerSecond = 100;
  return ticksPerSecond;
}

interface ProcStat {
  pid: number;
  ppid: number;
  /** utime + stime + cutime + cstime, in ticks */
  ticks: number;
}

function readStat(pid: number): ProcStat | undefined {
  let text: string;
  try {
    text = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // The command name (field 2) may hold spaces and parentheses: the fields after it start after
  // the last ')'. fields[0] is then field 3 (state), ppid is field 4, utime..cstime fields 14-17.
  const fields = text.slice(text.lastIndexOf(')') + 2).split(' ');
  return {
    pid,
    ppid: Number(fields[1]),
    ticks: Number(fields[11]) + Number(fields[12]) + Number(fields[13]) + Number(fields[14]),
  };
}

/** Every live process's parent, read once per snapshot. */
function childrenByParent(): Map<number, number[]> {
  const children = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat === undefined) continue;
    const list = children.get(stat.ppid) ?? [];
    list.push(stat.pid);
    children.set(stat.ppid, list);
  }
  return children;
}

/** CPU-seconds of a process and its live descendants; undefined when the process is gone. */
export function processTreeCpuSeconds(
  pid: number,
  children: Map<number, number[]> = childrenByParent(),
): number | undefined {
  const root = readStat(pid);
  if (root === undefined) return undefined;
  let ticks = root.ticks;
  const pending = [...(children.get(pid) ?? [])];
  for (let next = pending.pop(); next !== undefined; next = pending.pop()) {
    const stat = readStat(next);
    if (stat === undefined) continue;
    ticks += stat.ticks;
    pending.push(...(children.get(next) ?? []));
  }
  return ticks / clockTicks();
}

/** A set of processes whose CPU is read together; sources may be added as they are spawned. */
export class CpuAccount {
  private readonly sources: CpuSource[] = [];

  constructor(sources: readonly CpuSource[] = [{ name: 'harness', self: true }]) {
    for (const s of sources) this.add(s);
  }

  /** Adds a process; its CPU counts from 0 in any earlier snapshot (it was spawned after it). */
  add(source: CpuSource): void {
    if (this.sources.some((s) => s.name === source.name)) {
      throw new Error(`a CPU source named ${source.name} is already accounted`);
    }
    this.sources.push(source);
  }

  remove(name: string): void {
    const index = this.sources.findIndex((s) => s.name === name);
    if (index >= 0) this.sources.splice(index, 1);
  }

  names(): string[] {
    return this.sources.map((s) => s.name);
  }

  snapshot(): CpuSnapshot {
    const children = childrenByParent();
    const seconds: Record<string, number> = {};
    const gone: string[] = [];
    for (const source of this.sources) {
      if ('self' in source) {
        const { user, system } = process.cpuUsage();
        seconds[source.name] = (user + system) / 1e6;
        continue;
      }
      const value = processTreeCpuSeconds(source.pid, children);
      if (value === undefined) gone.push(source.name);
      else seconds[source.name] = value;
    }
    return { at: performance.now(), seconds, gone };
  }
}

/**
 * The CPU used between two snapshots, per process and per lead. A process absent from `before`
 * was spawned after it and counts from 0; one absent from `after` is listed in `gone`.
 */
export function cpuDelta(before: CpuSnapshot, after: CpuSnapshot, leads: number): CpuUsage {
  const seconds: Record<string, number> = {};
  for (const [name, value] of Object.entries(after.seconds)) {
    seconds[name] = value - (before.seconds[name] ?? 0);
  }
  const totalSeconds = Object.values(seconds).reduce((a, b) => a + b, 0);
  const perLead = (s: number): number => (leads > 0 ? (s * 1e6) / leads : NaN);
  return {
    wallSeconds: (after.at - before.at) / 1000,
    leads,
    seconds,
    totalSeconds,
    usPerLead: Object.fromEntries(Object.entries(seconds).map(([n, s]) => [n, perLead(s)])),
    totalUsPerLead: perLead(totalSeconds),
    gone: [...after.gone],
  };
}

/**
 * The local stack's JVMs (the broker and the registry) as CPU sources, from the pids it records
 * in `<dataDir>/pids.json`; none when the file is missing (a stack this bench did not start).
 */
export function stackCpuSources(dataDir: string): CpuSource[] {
  if (dataDir === '') return [];
  let list: { name: string; pid: number }[];
  try {
    list = JSON.parse(readFileSync(join(dataDir, 'pids.json'), 'utf8')) as typeof list;
  } catch {
    return [];
  }
  return list
    .filter((p) => Number.isInteger(p.pid) && p.pid > 0)
    .map((p) => ({ name: p.name, pid: p.pid }));
}

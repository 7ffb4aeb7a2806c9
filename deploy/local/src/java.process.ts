import { ChildProcess, spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';

import { LogLine, pidAlive, pidCommandLine, sleep } from './util';

/**
 * A system property on the command line of every JVM the stack starts, naming its dataDir, so
 * that killStrays() recognises them after their parent died.
 */
export function stackMarker(dataDir: string): string {
  return `-Dlead.router.stack=${dataDir}`;
}

/** A JVM we spawned: its exit observed, stopped with SIGTERM then SIGKILL. */
export class JavaProcess {
  readonly exited: Promise<void>;
  exitCode: number | null = null;
  exitSignal: NodeJS.Signals | null = null;
  private done = false;

  constructor(
    readonly name: string,
    readonly child: ChildProcess,
    readonly logFile: string,
  ) {
    this.exited = new Promise((resolve) => {
      child.once('exit', (code, signal) => {
        this.done = true;
        this.exitCode = code;
        this.exitSignal = signal;
        untrack(this);
        resolve();
      });
      child.once('error', () => {
        this.done = true;
        untrack(this);
        resolve();
      });
    });
    track(this);
  }

  get pid(): number {
    return this.child.pid ?? -1;
  }

  get running(): boolean {
    return !this.done;
  }

  describeExit(): string {
    return `${this.name} exited (${this.exitSignal ?? `code ${this.exitCode ?? '?'}`})`;
  }

  /** SIGTERM, wait up to graceMs, then SIGKILL and wait. */
  async stop(graceMs = 30_000): Promise<void> {
    if (!this.running) return;
    this.child.kill('SIGTERM');
    const timedOut = await Promise.race([
      this.exited.then(() => false),
      sleep(graceMs).then(() => true),
    ]);
    if (timedOut && this.running) {
      this.child.kill('SIGKILL');
      await this.exited;
    }
  }
}

/** Spawn a JVM with stdout and stderr appended to `logFile`, after a header naming the command. */
export function spawnJava(
  name: string,
  java: string,
  args: string[],
  cwd: string,
  env: NodeJS.ProcessEnv,
  logFile: string,
): JavaProcess {
  const fd = fs.openSync(logFile, 'a');
  fs.writeSync(
    fd,
    `\n===== ${new Date().toISOString()} starting ${name}: ${java} ${args.join(' ')}\n`,
  );
  try {
    // Not detached: the JVM stays in our process group, so a Ctrl-C on the terminal reaches it too.
    const child = spawn(java, args, { cwd, env, stdio: ['ignore', fd, fd] });
    return new JavaProcess(name, child, logFile);
  } finally {
    fs.closeSync(fd);
  }
}

// ---------------------------------------------------------------- stray JVMs

/** Record the pids of the stack's JVMs in `<dataDir>/pids.json`, for killStrays() on the next start. */
export function savePids(dataDir: string, procs: readonly JavaProcess[]): void {
  fs.writeFileSync(
    path.join(dataDir, 'pids.json'),
    `${JSON.stringify(procs.map((p) => ({ name: p.name, pid: p.pid })))}\n`,
  );
}

export function removePids(dataDir: string): void {
  fs.rmSync(path.join(dataDir, 'pids.json'), { force: true });
}

/** Kill JVMs a dead parent left on this dataDir (recognised by stackMarker(dataDir) on their command line). */
export async function killStrays(dataDir: string, log: LogLine): Promise<void> {
  let entries: { name: string; pid: number }[] = [];
  try {
    entries = JSON.parse(fs.readFileSync(path.join(dataDir, 'pids.json'), 'utf8')) as {
      name: string;
      pid: number;
    }[];
  } catch {
    return;
  }
  for (const e of entries) {
    if (!Number.isInteger(e.pid) || e.pid <= 0 || !pidAlive(e.pid)) continue;
    const cmd = pidCommandLine(e.pid);
    if (cmd === undefined || !cmd.includes(`${stackMarker(dataDir)} `)) continue;
    log(`killing a stray ${e.name} (pid ${e.pid}) left on ${dataDir}`);
    try {
      process.kill(e.pid, 'SIGKILL');
    } catch {
      continue;
    }
    const deadline = Date.now() + 10_000;
    while (pidAlive(e.pid) && Date.now() < deadline) await sleep(100);
  }
  removePids(dataDir);
}

// ---------------------------------------------------------------- exit cleanup

const live = new Set<JavaProcess>();
let hooksInstalled = false;

function track(p: JavaProcess): void {
  live.add(p);
  installHooks();
}

function untrack(p: JavaProcess): void {
  live.delete(p);
}

function killAllNow(): void {
  for (const p of live) {
    try {
      p.child.kill('SIGKILL');
    } catch {
      // already gone
    }
  }
}

/**
 * The parent exiting without stop() (process.exit, an uncaught exception) must not leave JVMs behind:
 * kill them synchronously in 'exit'. For SIGINT/SIGTERM/SIGHUP, when nobody else handles the signal
 * (so it would kill us without 'exit' firing), kill the JVMs and re-raise it to keep the default behaviour.
 */
function installHooks(): void {
  if (hooksInstalled) return;
  hooksInstalled = true;
  process.on('exit', killAllNow);
  for (const sig of ['SIGINT', 'SIGTERM', 'SIGHUP'] as const) {
    const handler = (): void => {
      if (process.listenerCount(sig) > 1) return; // the application handles it (and will call stop())
      killAllNow();
      process.removeListener(sig, handler);
      process.kill(process.pid, sig);
    };
    process.on(sig, handler);
  }
}

import { spawn } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { StackError } from './stack.errors';

/** Where the stack reports progress, one human-readable line at a time. */
export type LogLine = (line: string) => void;

export const noopLog: LogLine = () => undefined;

/** `${LEAD_ROUTER_CACHE:-~/.cache/lead-router}` */
export function defaultCacheDir(): string {
  const fromEnv = process.env['LEAD_ROUTER_CACHE'];
  return fromEnv !== undefined && fromEnv !== ''
    ? path.resolve(fromEnv)
    : path.join(os.homedir(), '.cache', 'lead-router');
}

/** The `java` to run: `$JAVA_HOME/bin/java` when JAVA_HOME is set, else `java` from PATH. */
export function defaultJava(): string {
  const home = process.env['JAVA_HOME'];
  if (home !== undefined && home !== '') {
    const candidate = path.join(home, 'bin', 'java');
    if (fs.existsSync(candidate)) return candidate;
  }
  return 'java';
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** Last `lines` lines of a (possibly large, possibly missing) text file. */
export function tailFile(file: string, lines = 40, maxBytes = 64 * 1024): string {
  let fd: number | undefined;
  try {
    fd = fs.openSync(file, 'r');
    const size = fs.fstatSync(fd).size;
    const len = Math.min(size, maxBytes);
    const buf = Buffer.alloc(len);
    fs.readSync(fd, buf, 0, len, size - len);
    const all = buf.toString('utf8').split('\n');
    if (all.length > 0 && all[all.length - 1] === '') all.pop();
    return all.slice(-lines).join('\n');
  } catch {
    return `(no log at ${file})`;
  } finally {
    if (fd !== undefined) fs.closeSync(fd);
  }
}

/** A file's size, 0 when it does not exist: where to read a log from later (`textSince`). */
export function fileSize(file: string): number {
  return fs.existsSync(file) ? fs.statSync(file).size : 0;
}

/** What was written to a file after its first `from` bytes ('' when nothing or no file). */
export function textSince(file: string, from: number): string {
  const size = fileSize(file);
  if (size <= from) return '';
  const fd = fs.openSync(file, 'r');
  try {
    const buf = Buffer.alloc(size - from);
    fs.readSync(fd, buf, 0, buf.length, from);
    return buf.toString('utf8');
  } finally {
    fs.closeSync(fd);
  }
}

export interface RunResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
}

/** Run a command to completion, capturing stdout+stderr (last ~256 KiB). Never rejects on a non-zero exit. */
export function run(
  cmd: string,
  args: readonly string[],
  opts: { cwd?: string; env?: NodeJS.ProcessEnv } = {},
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(cmd, [...args], {
      cwd: opts.cwd ?? process.cwd(),
      env: opts.env ?? process.env,
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const chunks: Buffer[] = [];
    let total = 0;
    const keep = (b: Buffer): void => {
      chunks.push(b);
      total += b.length;
      while (total > 256 * 1024 && chunks.length > 1) {
        const first = chunks.shift();
        total -= first === undefined ? 0 : first.length;
      }
    };
    child.stdout.on('data', keep);
    child.stderr.on('data', keep);
    child.once('error', (err) =>
      reject(new StackError(`cannot run ${cmd}: ${err.message}`, 'command_failed', { cause: err })),
    );
    child.once('close', (code, signal) =>
      resolve({ code, signal, output: Buffer.concat(chunks).toString('utf8') }),
    );
  });
}

export function lastLines(text: string, n: number): string {
  return text.trimEnd().split('\n').slice(-n).join('\n');
}

/** Is a process with this pid alive (and visible to us)? A zombie (exited, not yet reaped) counts as dead. */
export function pidAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
  try {
    // /proc/<pid>/stat: "pid (comm) S ..." where S is the state; comm may contain spaces and parens
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    return stat.slice(stat.lastIndexOf(')') + 2, stat.lastIndexOf(')') + 3) !== 'Z';
  } catch {
    return true; // no /proc (not Linux): trust kill(0)
  }
}

/** Linux: the command line of a pid, or undefined when unknown. */
export function pidCommandLine(pid: number): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').join(' ');
  } catch {
    return undefined;
  }
}

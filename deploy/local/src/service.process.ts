import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { serviceEntry, type ServiceName } from '@lead-router/schemas';
import { listensOn } from './ports';
import { StackError } from './stack.errors';
import { waitFor } from './wait';

const repoRoot = resolve(__dirname, '..', '..', '..');

/**
 * V8 sizes the young generation from the machine's memory (128 MB of semi-space on 24 GiB), so
 * an idle service would sit at 250 MB; 16 MB measured the same CPU per lead at less than half the
 * memory (bench/RESULTS.md). The Dockerfile starts services with the same flag.
 */
export const SERVICE_NODE_FLAGS = ['--max-semi-space-size=16'];

export interface ServiceProcess {
  name: ServiceName;
  process: ChildProcess;
  logFile: string;
  /** The service's HTTP base URL (health, metrics, and ingest's API). */
  url: string;
  /** Sends SIGTERM and waits for a clean exit. */
  stop(): Promise<number | null>;
  /** SIGKILL: the process gets no chance to drain or commit. */
  kill(): Promise<void>;
}

/**
 * Where every service's log goes instead of `logDir` when set: `npm test` collects all of them in
 * one place, so a scan after the suites sees every line any service wrote (docs/security.md).
 */
export const SERVICE_LOG_DIR_ENV = 'LEAD_ROUTER_SERVICE_LOG_DIR';
/** The log level every service is started with when set, over the caller's LOG_LEVEL. */
export const SERVICE_LOG_LEVEL_ENV = 'LEAD_ROUTER_SERVICE_LOG_LEVEL';

let started = 0;

/**
 * Starts one service as its own Node process from its built entry (as the manifest names it), logs
 * to a file, and waits until its health path answers 200.
 */
export async function startService(
  name: ServiceName,
  env: Record<string, string>,
  options: {
    port: number;
    logDir: string;
    healthTimeoutMs?: number;
    /** Node's flags, after SERVICE_NODE_FLAGS (a later V8 flag wins over an earlier one). */
    nodeFlags?: readonly string[];
  },
): Promise<ServiceProcess> {
  const logDir = process.env[SERVICE_LOG_DIR_ENV] || options.logDir;
  mkdirSync(logDir, { recursive: true });
  // Unique even for two instances of one service started in the same millisecond, or by two
  // test processes writing to the same directory.
  const logFile = join(logDir, `${name}-${Date.now()}-${process.pid}-${++started}.log`);
  const log = createWriteStream(logFile);
  const { entry, healthPath } = serviceEntry(name);
  const flags = [...SERVICE_NODE_FLAGS, ...(options.nodeFlags ?? [])];
  const child = spawn(process.execPath, [...flags, join(repoRoot, entry)], {
    env: { ...process.env, ...env, ...levelOverride() },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.pipe(log);
  child.stderr.pipe(log);
  const exited = new Promise<number | null>((done) => child.once('exit', (code) => done(code)));
  const url = `http://127.0.0.1:${options.port}`;
  // A child that exits before it is healthy fails the start at once (waitFor would take the
  // probe's throw for "not yet" and wait out the whole timeout).
  let healthy = false;
  const exitedEarly = exited.then((code) => {
    if (healthy) return;
    throw new StackError(`${name} exited with ${code}; see ${logFile}`, 'process_exited', {
      context: { service: name, logFile },
    });
  });
  exitedEarly.catch(() => undefined); // a kill after a failed start rejects it unobserved
  try {
    await Promise.race([
      exitedEarly,
      waitFor(
        async () => {
          if (child.exitCode !== null) return false;
          const res = await fetch(`${url}${healthPath}`);
          return res.status === 200;
        },
        {
          timeoutMs: options.healthTimeoutMs ?? 60_000,
          what: `${name} ${healthPath}`,
          intervalMs: 200,
        },
      ),
    ]);
    healthy = true;
    // Another process on the port would have answered the health check for this one, which
    // then dies with EADDRINUSE while the caller talks to the wrong service.
    if (listensOn(child.pid!, options.port) === false)
      throw new StackError(
        `${name}'s health check on port ${options.port} was answered by another process; see ${logFile}`,
        'port_in_use',
        { context: { service: name, port: options.port, logFile } },
      );
  } catch (err) {
    child.kill('SIGKILL');
    throw err;
  }
  return {
    name,
    process: child,
    logFile,
    url,
    async stop() {
      if (child.exitCode === null) child.kill('SIGTERM');
      return exited;
    },
    async kill() {
      if (child.exitCode === null) child.kill('SIGKILL');
      await exited;
    },
  };
}

/** `npm test` logs every line a service can write, for the scan for personal data. */
function levelOverride(): Record<string, string> {
  const level = process.env[SERVICE_LOG_LEVEL_ENV];
  return level ? { LOG_LEVEL: level } : {};
}

/**
 * Waits for services started at once. When one fails to start, the ones that did are stopped
 * (they would otherwise outlive their caller) and the first failure is thrown; otherwise the
 * processes come back in the order of `starts`.
 */
export async function startAll(
  starts: readonly Promise<ServiceProcess>[],
): Promise<ServiceProcess[]> {
  const settled = await Promise.allSettled(starts);
  const started = settled.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
  const failed = settled.find((s): s is PromiseRejectedResult => s.status === 'rejected');
  if (failed) {
    await Promise.all(started.map((service) => service.stop()));
    throw failed.reason;
  }
  return started;
}

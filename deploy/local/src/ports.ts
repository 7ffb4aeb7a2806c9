import * as fs from 'node:fs';
import * as net from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';

import { StackError } from './stack.errors';

/**
 * Where this machine's processes reserve the ports `freePort` hands out: one file per port,
 * created exclusively and holding the reserving pid, so two test or bench processes never get the
 * same port, and removed when the process exits (a dead pid's file is taken over).
 */
export const PORT_RESERVATIONS_DIR = path.join(os.tmpdir(), 'lead-router-ports');

/**
 * Below Linux's ephemeral range (32768-60999 by default), where the kernel puts outgoing
 * connections' local ports and every `listen(0)`: a port chosen there could be taken by either
 * between the choice and the service's own listen.
 */
export const PORT_RANGE: PortRange = { low: 20_000, high: 32_000 };

/** Ports from `low` up to, not including, `high`. */
export interface PortRange {
  low: number;
  high: number;
}

const reserved = new Set<number>();
let releasesOnExit = false;

/**
 * A TCP port on `host` that nothing listens on and that no process of this machine was handed by
 * `freePort` and still runs: a random one below the ephemeral range, checked by binding it and
 * reserved for the life of this process (see PORT_RESERVATIONS_DIR). Services started on ports
 * chosen one after another in a loop therefore get distinct ones; binding port 0 and closing it,
 * as this did before, gave the same port twice (one service then answered another's health check
 * while that one died with EADDRINUSE).
 */
export async function freePort(host = '127.0.0.1', range = PORT_RANGE): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    const port = range.low + Math.floor(Math.random() * (range.high - range.low));
    if (reserved.has(port) || !reserve(port)) continue;
    if (await isPortFree(port, host)) return port;
    release(port);
  }
  throw new StackError(
    `no free port in ${range.low}-${range.high - 1} on ${host} after 200 tries`,
    'port_in_use',
  );
}

function reservationFile(port: number): string {
  return path.join(PORT_RESERVATIONS_DIR, String(port));
}

/** Claims the port's reservation file; false when a live process holds it. */
function reserve(port: number): boolean {
  fs.mkdirSync(PORT_RESERVATIONS_DIR, { recursive: true });
  const file = reservationFile(port);
  for (let i = 0; i < 2; i++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      if (!releasesOnExit) {
        releasesOnExit = true;
        process.once('exit', releaseAll);
      }
      reserved.add(port);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      if (holderAlive(file)) return false;
      fs.rmSync(file, { force: true }); // its process is gone: take the port over
    }
  }
  return false;
}

function holderAlive(file: string): boolean {
  let pid: number;
  try {
    pid = Number(fs.readFileSync(file, 'utf8'));
  } catch {
    return false; // removed meanwhile
  }
  if (!Number.isInteger(pid) || pid <= 0) return true; // being written: treat as held
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function release(port: number): void {
  reserved.delete(port);
  fs.rmSync(reservationFile(port), { force: true });
}

function releaseAll(): void {
  for (const port of [...reserved]) release(port);
}

/** True when nothing listens on host:port yet (we can bind it ourselves). */
export function isPortFree(port: number, host = '127.0.0.1'): Promise<boolean> {
  return new Promise((resolve) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', () => resolve(false));
    srv.listen(port, host, () => srv.close(() => resolve(true)));
  });
}

export interface StackPorts {
  /** PLAINTEXT listener */
  kafkaPort: number;
  /** CONTROLLER listener */
  controllerPort: number;
  /** Apicurio HTTP; when the registry is not started, the requested or remembered one, else 0 */
  registryPort: number;
}

/** Ports asked for; 0 or undefined means "choose". */
export type RequestedPorts = Partial<StackPorts>;

/** Probes and allocators, passed in so the choice is tested without binding real ports. */
export interface PortProbe {
  isFree(port: number): Promise<boolean>;
  free(): Promise<number>;
}

const realProbe: PortProbe = { isFree: (p) => isPortFree(p), free: () => freePort() };

/**
 * The stack's ports: a requested port as given; otherwise the one used last time with this
 * dataDir (remembered in `<dataDir>/ports.json`) while it is free; otherwise a free one. Fails
 * when a port it would use is taken. Remembers the choice for the next start.
 */
export async function choosePorts(
  dataDir: string,
  requested: RequestedPorts,
  withRegistry: boolean,
  probe: PortProbe = realProbe,
): Promise<StackPorts> {
  const file = path.join(dataDir, 'ports.json');
  let saved: RequestedPorts = {};
  try {
    saved = JSON.parse(fs.readFileSync(file, 'utf8')) as RequestedPorts;
  } catch {
    // first start on this dataDir
  }
  const taken = new Set<number>();
  const pick = async (given: number | undefined, previous: number | undefined): Promise<number> => {
    if (given !== undefined && given > 0) {
      taken.add(given);
      return given;
    }
    // Prefer last time's port: clients holding the old address (a broker restart in a fault test) reconnect.
    if (previous !== undefined && !taken.has(previous) && (await probe.isFree(previous))) {
      taken.add(previous);
      return previous;
    }
    for (;;) {
      const p = await probe.free();
      if (!taken.has(p)) {
        taken.add(p);
        return p;
      }
    }
  };
  const kafkaPort = await pick(requested.kafkaPort, saved.kafkaPort);
  const controllerPort = await pick(requested.controllerPort, saved.controllerPort);
  const registryPort = withRegistry
    ? await pick(requested.registryPort, saved.registryPort)
    : (requested.registryPort ?? saved.registryPort ?? 0);
  for (const [name, port] of [
    ['kafka', kafkaPort],
    ['controller', controllerPort],
    ...(withRegistry ? [['registry', registryPort] as const] : []),
  ] as const) {
    if (!(await probe.isFree(port)))
      throw new StackError(`${name} port ${port} on 127.0.0.1 is already in use`, 'port_in_use', {
        context: { port, listener: name },
      });
  }
  const chosen = { kafkaPort, controllerPort, registryPort };
  fs.writeFileSync(file, `${JSON.stringify(chosen, null, 2)}\n`);
  return chosen;
}

/**
 * Whether process `pid` holds a socket listening on TCP `port` (any address, IPv4 or IPv6), read
 * from Linux's /proc; null where that cannot be told (no /proc, or the process is gone or not
 * ours to read). Tells a service that answers on its port from another process answering there.
 */
export function listensOn(pid: number, port: number): boolean | null {
  let tables: string;
  let fds: string[];
  try {
    tables = ['tcp', 'tcp6']
      .map((family) => fs.readFileSync(`/proc/net/${family}`, 'utf8'))
      .join('\n');
    fds = fs.readdirSync(`/proc/${pid}/fd`);
  } catch {
    return null;
  }
  const local = `:${port.toString(16).toUpperCase().padStart(4, '0')}`;
  const listening = new Set<string>();
  for (const line of tables.split('\n')) {
    // sl local_address rem_address st tx_queue:rx_queue tr:tm->when retrnsmt uid timeout inode
    const cols = line.trim().split(/\s+/);
    if (cols[3] === '0A' && cols[1]?.endsWith(local) && cols[9]) listening.add(cols[9]);
  }
  for (const fd of fds) {
    let target: string;
    try {
      target = fs.readlinkSync(`/proc/${pid}/fd/${fd}`);
    } catch {
      continue; // closed meanwhile
    }
    const inode = /^socket:\[(\d+)\]$/.exec(target)?.[1];
    if (inode !== undefined && listening.has(inode)) return true;
  }
  return false;
}

import * as fs from 'node:fs';
import * as net from 'node:net';
import * as path from 'node:path';

import { StackError } from './stack.errors';

/** A free TCP port on 127.0.0.1: bind port 0, read it, close. */
export function freePort(host = '127.0.0.1'): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = net.createServer();
    srv.unref();
    srv.once('error', reject);
    srv.listen(0, host, () => {
      const addr = srv.address();
      if (addr === null || typeof addr === 'string') {
        srv.close();
        reject(new StackError('could not read the port of a bound socket', 'port_in_use'));
        return;
      }
      const port = addr.port;
      srv.close((err) => (err ? reject(err) : resolve(port)));
    });
  });
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

import * as net from 'node:net';

import { errorMessage } from '@lead-router/errors';

import type { JavaProcess } from './java.process';
import { NODE_ID } from './kafka.config';
import { fetchMetadata } from './kafka-probe';
import { StackError } from './stack.errors';
import { sleep, tailFile, textSince } from './util';

/** One TCP connect attempt; resolves true when the port accepts a connection. */
export function canConnect(port: number, host = '127.0.0.1', timeoutMs = 1000): Promise<boolean> {
  return new Promise((resolve) => {
    const sock = net.connect({ port, host });
    const done = (ok: boolean): void => {
      sock.removeAllListeners();
      sock.destroy();
      resolve(ok);
    };
    sock.setTimeout(timeoutMs, () => done(false));
    sock.once('connect', () => done(true));
    sock.once('error', () => done(false));
  });
}

/**
 * Wait until the broker answers Metadata listing itself: in KRaft it does so only once it is
 * registered and unfenced. Fails fast when the JVM exits; stops it when the deadline passes.
 */
export async function waitBrokerReady(
  broker: JavaProcess,
  port: number,
  timeoutMs: number,
  logFiles: readonly string[],
  /** Instead of the PLAINTEXT Metadata probe: undefined once ready, else why not yet. */
  probe?: () => Promise<string | undefined>,
  /** The broker's node id, which Metadata must list. */
  nodeId: number = NODE_ID,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'port not open';
  while (Date.now() < deadline) {
    if (!broker.running)
      throw new StackError(
        `${broker.describeExit()} before it was ready\n${logTails(logFiles)}`,
        'process_exited',
        { context: { process: broker.name, port } },
      );
    if (probe !== undefined) {
      const notReady = await probe();
      if (notReady === undefined) return;
      lastError = notReady;
    } else if (await canConnect(port, '127.0.0.1', 1000)) {
      try {
        const md = await fetchMetadata(port, '127.0.0.1', 3000);
        if (md.brokers.some((b) => b.nodeId === nodeId)) return;
        lastError = 'broker not registered yet (Metadata lists no broker)';
      } catch (err) {
        lastError = errorMessage(err);
      }
    }
    await sleep(250);
  }
  await broker.stop(5_000);
  throw new StackError(
    `kafka broker not ready on 127.0.0.1:${port} after ${timeoutMs / 1000} s (${lastError})\n${logTails(logFiles)}`,
    'readiness_timeout',
    { context: { process: broker.name, port } },
  );
}

/**
 * Wait until a JVM of the stack has written `line` to its log after byte `from` (a separate
 * controller's listener being up, or its fencing of a killed broker); fails fast when it exits.
 */
export async function waitLogLine(
  proc: JavaProcess,
  o: { file: string; from: number; line: string; what: string; timeoutMs: number },
): Promise<void> {
  const deadline = Date.now() + o.timeoutMs;
  while (Date.now() < deadline) {
    if (!proc.running)
      throw new StackError(
        `${proc.describeExit()} while waiting for ${o.what}\n${logTails([o.file])}`,
        'process_exited',
        { context: { process: proc.name } },
      );
    if (textSince(o.file, o.from).includes(o.line)) return;
    await sleep(250);
  }
  throw new StackError(
    `${o.what}: not seen after ${o.timeoutMs / 1000} s (no "${o.line}" in ${o.file})\n${logTails([o.file])}`,
    'readiness_timeout',
    { context: { process: proc.name } },
  );
}

/** Wait until GET <registryUrl>/subjects answers 200; fails fast when either JVM exits. */
export async function waitRegistryReady(
  registry: JavaProcess,
  broker: JavaProcess,
  registryUrl: string,
  timeoutMs: number,
  logFiles: { registry: readonly string[]; broker: readonly string[] },
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  let lastError = 'no answer';
  while (Date.now() < deadline) {
    if (!registry.running)
      throw new StackError(
        `${registry.describeExit()} before it was ready\n${logTails(logFiles.registry)}`,
        'process_exited',
        { context: { process: registry.name, registryUrl } },
      );
    if (!broker.running)
      throw new StackError(
        `${broker.describeExit()} while the registry was starting\n${logTails(logFiles.broker)}`,
        'process_exited',
        { context: { process: broker.name } },
      );
    try {
      const res = await fetch(`${registryUrl}/subjects`, { signal: AbortSignal.timeout(3000) });
      await res.arrayBuffer();
      if (res.status === 200) return;
      lastError = `HTTP ${res.status}`;
    } catch (err) {
      lastError = errorMessage(err);
    }
    await sleep(300);
  }
  throw new StackError(
    `apicurio registry not ready at ${registryUrl} after ${timeoutMs / 1000} s (${lastError})\n${logTails(logFiles.registry)}`,
    'readiness_timeout',
    { context: { process: registry.name, registryUrl } },
  );
}

function logTails(files: readonly string[]): string {
  return files.map((f) => `----- tail of ${f}\n${tailFile(f, 30)}`).join('\n');
}

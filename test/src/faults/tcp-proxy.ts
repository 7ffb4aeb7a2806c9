import { createServer, connect, type Server, type Socket } from 'node:net';
import { freePort } from '@lead-router/local-stack';

/**
 * A TCP proxy between the services and one dependency (the registry, PostgreSQL), so a test can
 * take the dependency away from its own processes only: `cut()` destroys every open connection and
 * stops listening (new ones are refused), `restore()` listens again on the same port.
 */
export interface TcpProxy {
  /** 127.0.0.1:<port>, to put in the services' URLs in place of the target's. */
  host: string;
  port: number;
  /** Connections accepted since the start. */
  readonly accepted: number;
  readonly isCut: boolean;
  cut(): Promise<void>;
  restore(): Promise<void>;
  close(): Promise<void>;
}

export async function startTcpProxy(target: { host: string; port: number }): Promise<TcpProxy> {
  const port = await freePort();
  const open = new Set<Socket>();
  let accepted = 0;
  let server: Server | null = null;

  const listen = () =>
    new Promise<void>((resolve, reject) => {
      const s = createServer((client) => {
        accepted++;
        const upstream = connect(target.port, target.host);
        open.add(client);
        open.add(upstream);
        const drop = () => {
          client.destroy();
          upstream.destroy();
          open.delete(client);
          open.delete(upstream);
        };
        client.on('error', drop).on('close', drop);
        upstream.on('error', drop).on('close', drop);
        client.pipe(upstream);
        upstream.pipe(client);
      });
      s.once('error', reject);
      s.listen(port, '127.0.0.1', () => {
        server = s;
        resolve();
      });
    });
  const stop = () =>
    new Promise<void>((resolve) => {
      const s = server;
      server = null;
      for (const socket of open) socket.destroy();
      open.clear();
      if (s) s.close(() => resolve());
      else resolve();
    });

  await listen();
  return {
    host: '127.0.0.1',
    port,
    get accepted() {
      return accepted;
    },
    get isCut() {
      return server === null;
    },
    cut: stop,
    restore: async () => {
      if (server === null) await listen();
    },
    close: stop,
  };
}

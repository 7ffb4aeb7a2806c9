import { randomUUID } from 'node:crypto';
import {
  createServer,
  type IncomingHttpHeaders,
  type IncomingMessage,
  type Server,
} from 'node:http';
import type { Socket } from 'node:net';
import { LeadRouterError } from '@lead-router/errors';

/** One request as the vendor logic sees it: the body already read, nothing parsed. */
export interface FakeRequest {
  readonly method: string;
  readonly path: string;
  readonly query: URLSearchParams;
  readonly headers: IncomingHttpHeaders;
  readonly body: string;
}

/** What the vendor logic answers; `body` is sent as JSON unless it is a string. */
export interface FakeResponse {
  status: number;
  headers?: Record<string, string>;
  body?: unknown;
}

/** Every request the fake answered (or cut off), in arrival order. */
export interface RequestLogEntry {
  readonly at: string;
  readonly method: string;
  readonly path: string;
  /** 0 when the connection was reset by an outage. */
  readonly status: number;
  readonly durationMs: number;
}

/** A contract point the client broke, refused by the fake or observed by it. */
export interface Violation {
  /** A stable name to filter on, e.g. `batch-too-large`, `rate-limit-ten-secondly`. */
  readonly rule: string;
  readonly reason: string;
  readonly at: string;
  readonly method: string;
  readonly path: string;
}

export type OutageMode = 'reset' | 'refused';

export class ViolationLog {
  private readonly entries: Violation[] = [];

  add(request: Pick<FakeRequest, 'method' | 'path'>, rule: string, reason: string): void {
    this.entries.push({
      rule,
      reason,
      at: new Date().toISOString(),
      method: request.method,
      path: request.path,
    });
  }

  list(): Violation[] {
    return [...this.entries];
  }
}

/** A small seeded generator (mulberry32), so a "5% random 5xx" run is reproducible. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Injected server-side trouble shared by both fakes: 5xx storms and slow answers. */
export class FaultPlan {
  private failCount = 0;
  private failStatus = 503;
  private fraction = 0;
  private fractionStatus = 503;
  private random: () => number = Math.random;
  private delay = 0;
  private throttledUntil = 0;

  /** The next `count` requests that pass authentication answer `status` (default 503). */
  failNext(count: number, status = 503): void {
    this.failCount = count;
    this.failStatus = status;
  }

  /** Each request answers `status` with probability `fraction`, drawn from a seeded generator. */
  failRandomly(fraction: number, options: { seed?: number; status?: number } = {}): void {
    this.fraction = fraction;
    this.fractionStatus = options.status ?? 503;
    this.random = seededRandom(options.seed ?? 1);
  }

  /** Every answer waits `ms` milliseconds before it is computed. */
  slow(ms: number): void {
    this.delay = ms;
  }

  /**
   * For the next `ms` milliseconds every request answers the vendor's rate-limit refusal, as
   * when something else (another app on the same token or org) has spent the window: the
   * client sees a burst of refusals it did not cause, so none of them counts as a violation.
   */
  throttle(ms: number): void {
    this.throttledUntil = Date.now() + ms;
  }

  /** Whether a throttle burst is on now. */
  throttled(): boolean {
    return Date.now() < this.throttledUntil;
  }

  /** Back to healthy: no failures, no delay, no throttling. */
  heal(): void {
    this.failCount = 0;
    this.fraction = 0;
    this.delay = 0;
    this.throttledUntil = 0;
  }

  get delayMs(): number {
    return this.delay;
  }

  /** The 5xx status this request must answer, if any. */
  nextFailure(): number | undefined {
    if (this.failCount > 0) {
      this.failCount -= 1;
      return this.failStatus;
    }
    if (this.fraction > 0 && this.random() < this.fraction) return this.fractionStatus;
    return undefined;
  }
}

export type Handler = (request: FakeRequest) => Promise<FakeResponse>;

export interface HttpFake {
  readonly url: string;
  readonly port: number;
  requests(): RequestLogEntry[];
  /** A total outage: `reset` cuts every connection, `refused` stops listening on the port. */
  setOutage(on: boolean, mode?: OutageMode): Promise<void>;
  close(): Promise<void>;
}

export interface ListenOptions {
  /** Loopback only: the fakes are test and demo servers. */
  host?: string;
  /** 0 (default) picks a free port. */
  port?: number;
}

export function correlationId(): string {
  return randomUUID();
}

function readBody(request: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

function listen(server: Server, port: number, host: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const onError = (error: Error) => reject(error);
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      const address = server.address();
      resolve(typeof address === 'object' && address !== null ? address.port : port);
    });
  });
}

function stopListening(server: Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve());
    server.closeAllConnections();
  });
}

/**
 * A loopback HTTP server around a vendor handler, on node:http so that an outage can reset
 * sockets or free the port, and so that every answer (malformed JSON included) is shaped by the
 * vendor logic rather than by a framework's error handler.
 */
export async function startHttpFake(
  handler: Handler,
  options: ListenOptions = {},
): Promise<HttpFake> {
  const host = options.host ?? '127.0.0.1';
  if (!['127.0.0.1', '::1', 'localhost'].includes(host)) {
    throw new LeadRouterError(`a CRM fake listens on loopback only, not ${host}`, 'FAKE_CONFIG');
  }
  const log: RequestLogEntry[] = [];
  const sockets = new Set<Socket>();
  let outage: OutageMode | undefined;

  const server = createServer((request, response) => {
    const started = Date.now();
    const url = new URL(request.url ?? '/', 'http://fake.invalid');
    const entry = (status: number) =>
      log.push({
        at: new Date(started).toISOString(),
        method: request.method ?? 'GET',
        path: url.pathname,
        status,
        durationMs: Date.now() - started,
      });
    if (outage !== undefined) {
      entry(0);
      request.socket.destroy();
      return;
    }
    readBody(request)
      .then((body) =>
        handler({
          method: request.method ?? 'GET',
          path: url.pathname,
          query: url.searchParams,
          headers: request.headers,
          body,
        }),
      )
      .then(
        (answer) => answer,
        (error: unknown): FakeResponse => ({
          status: 500,
          body: { message: error instanceof Error ? error.message : String(error) },
        }),
      )
      .then((answer) => {
        if (outage !== undefined) {
          entry(0);
          request.socket.destroy();
          return;
        }
        const text =
          answer.body === undefined
            ? ''
            : typeof answer.body === 'string'
              ? answer.body
              : JSON.stringify(answer.body);
        const headers: Record<string, string> = { ...answer.headers };
        if (text !== '' && headers['content-type'] === undefined) {
          headers['content-type'] = 'application/json;charset=UTF-8';
        }
        response.writeHead(answer.status, headers);
        response.end(text);
        entry(answer.status);
      });
  });
  server.on('connection', (socket) => {
    if (outage !== undefined) {
      socket.destroy();
      return;
    }
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });

  const port = await listen(server, options.port ?? 0, host);
  const url = `http://${host.includes(':') ? `[${host}]` : host}:${port}`;
  let listening = true;

  return {
    url,
    port,
    requests: () => [...log],
    async setOutage(on, mode = 'reset') {
      if (on) {
        outage = mode;
        for (const socket of sockets) socket.destroy();
        if (mode === 'refused' && listening) {
          listening = false;
          await stopListening(server);
        }
        return;
      }
      outage = undefined;
      if (!listening) {
        await listen(server, port, host);
        listening = true;
      }
    },
    async close() {
      outage = 'refused';
      if (listening) {
        listening = false;
        await stopListening(server);
      }
    },
  };
}

/** Parses a JSON body; `undefined` when it is not JSON at all. */
export function parseJson(body: string): unknown {
  try {
    return JSON.parse(body) as unknown;
  } catch {
    return undefined;
  }
}

export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** The bearer token of a request, if it carries one. */
export function bearerToken(headers: IncomingHttpHeaders): string | undefined {
  const value = headers.authorization;
  if (typeof value !== 'string') return undefined;
  const match = /^Bearer\s+(\S+)$/i.exec(value.trim());
  return match?.[1];
}

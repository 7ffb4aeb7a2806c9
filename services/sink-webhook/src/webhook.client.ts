import * as dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { type AttemptResponse, refusedAddressReason } from '@lead-router/delivery';
import { LeadRouterError } from '@lead-router/errors';
import { Agent, type Dispatcher } from 'undici';

/** What one POST came back with; `refused` says why its address may not be called. */
export type WebhookResponse = AttemptResponse & { refused?: string };

export interface PostOptions {
  timeoutMs: number;
  /** The destination's `allow_private`: loopback, private and link-local addresses allowed. */
  allowPrivate: boolean;
  signal?: AbortSignal;
}

/** The destination's host resolved to an address it may not call without `allow_private`. */
export class AddressRefusedError extends LeadRouterError {
  constructor(host: string, address: string, why: string) {
    super(
      `${host} resolves to ${address}, ${why}; a webhook destination may call it only with allow_private: true`,
      'address_refused',
      { context: { host, address } },
    );
  }
}

type LookupCallback = (
  err: NodeJS.ErrnoException | null,
  address: string | dns.LookupAddress[],
  family?: number,
) => void;

/**
 * A lookup for the agent that refuses the connection when any address the host resolves to is
 * not public. It runs when the socket connects, on the very addresses it connects to, so a host
 * that resolves to a public address at one moment and a private one the next (DNS rebinding)
 * is checked each time.
 */
export function guardedLookup(lookup: typeof dns.lookup = dns.lookup): LookupFunction {
  return (hostname, options, callback: LookupCallback) => {
    lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      for (const { address } of addresses) {
        const why = refusedAddressReason(address);
        if (why !== null) return callback(new AddressRefusedError(hostname, address, why), []);
      }
      if (options.all) return callback(null, addresses);
      const first = addresses[0];
      if (!first)
        return callback(
          Object.assign(new Error(`${hostname}: no address`), { code: 'ENOTFOUND' }),
          [],
        );
      callback(null, first.address, first.family);
    });
  };
}

/** What one POST sends: the signed body as text or as the bytes that were signed. */
export interface WebhookPost {
  url: string;
  headers: Record<string, string>;
  body: string | Buffer;
}

export interface WebhookClientOptions {
  /** Connections kept per destination origin: the sink's requests in flight at once. */
  connections?: number;
  lookup?: typeof dns.lookup;
}

/** undici's timeout errors, reported as node:http's socket timeout was. */
const TIMEOUT_CODES = new Set([
  'UND_ERR_CONNECT_TIMEOUT',
  'UND_ERR_HEADERS_TIMEOUT',
  'UND_ERR_BODY_TIMEOUT',
]);

/**
 * POSTs webhooks over undici pools shared by every delivery: per destination origin at most
 * `connections` keep-alive HTTP/1.1 connections, one request on each at a time (no pipelining:
 * a slow answer must not hold up the requests queued behind it). Each POST is dispatched with
 * its own handler, so no response stream is made for the answer. It replaced node:http's
 * ClientRequest and Agent, whose per-request work led the sink's CPU profile (bench/RESULTS.md);
 * bench/src/sink-webhook.bench.ts measures the two.
 * Destinations that allow private addresses get their own pools, so a connection opened for one
 * is never reused by a destination that does not. No redirect is followed: a 3xx is refused.
 */
export class WebhookClient {
  private readonly guarded: Agent;
  private readonly open: Agent;

  constructor(options: WebhookClientOptions | typeof dns.lookup = {}) {
    const { connections = 64, lookup = dns.lookup } =
      typeof options === 'function' ? { lookup: options } : options;
    const agent = (connect: LookupFunction) =>
      new Agent({ connections, pipelining: 1, allowH2: false, connect: { lookup: connect } });
    this.guarded = agent(guardedLookup(lookup));
    this.open = agent(lookup as unknown as LookupFunction);
  }

  /** One POST with a deadline; any failure to get a response is `status: null`, never a throw. */
  async post(request: WebhookPost, options: PostOptions): Promise<WebhookResponse> {
    let url: URL;
    try {
      url = new URL(request.url);
    } catch {
      return { status: null, error: 'invalid url' };
    }
    // An IP literal never goes through the lookup: check it here.
    const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
    if (!options.allowPrivate && isIP(literal) !== 0) {
      const why = refusedAddressReason(literal);
      if (why !== null) {
        const refused = new AddressRefusedError(url.hostname, literal, why).message;
        return { status: null, error: refused, refused };
      }
    }
    return new Promise((resolve) => {
      const exchange = new PostExchange(resolve);
      // The deadline covers the whole exchange: connecting, sending, the answer and its body.
      // Its timer and the listener on the caller's signal end with the exchange, so nothing of
      // a finished delivery stays reachable until a timer fires.
      const timer = setTimeout(() => exchange.abort('timeout'), options.timeoutMs);
      const outer = options.signal;
      const onAbort = () => exchange.abort('ABORT_ERR');
      exchange.finally = () => {
        clearTimeout(timer);
        outer?.removeEventListener('abort', onAbort);
      };
      if (outer?.aborted) {
        exchange.abort('ABORT_ERR');
        return;
      }
      outer?.addEventListener('abort', onAbort, { once: true });
      (options.allowPrivate ? this.open : this.guarded).dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method: 'POST',
          headers: request.headers,
          body: request.body,
        },
        exchange,
      );
    });
  }

  /** Closes every connection; a request still in flight ends with no response. */
  close(): void {
    for (const agent of [this.guarded, this.open]) void agent.destroy().catch(() => undefined);
  }
}

/**
 * One POST as undici's dispatcher runs it, answered once: the status, Retry-After and the start
 * of an error body as they arrive (no response stream is made), or the failure. An abort before
 * the request has a connection answers at once and cancels it when it gets one.
 */
class PostExchange implements Dispatcher.DispatchHandler {
  finally: () => void = () => undefined;
  private controller: Dispatcher.DispatchController | null = null;
  private aborted: string | null = null;
  private answered = false;
  private status = 0;
  private retryAfter: string | null = null;
  private readonly chunks: Buffer[] = [];
  private size = 0;

  constructor(private readonly resolve: (response: WebhookResponse) => void) {}

  abort(why: 'timeout' | 'ABORT_ERR'): void {
    if (this.answered) return;
    this.aborted = why;
    this.answer({ status: null, error: why });
    this.controller?.abort(new Error(why));
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    if (this.aborted !== null) controller.abort(new Error(this.aborted));
    else this.controller = controller;
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: Record<string, string | string[] | undefined>,
  ): void {
    this.status = statusCode;
    const retryAfter = headers['retry-after'];
    this.retryAfter = typeof retryAfter === 'string' ? retryAfter : null;
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    // Keep the start of an error body for the outcome; read (and drop) the rest.
    if (!this.ok() && this.size < 200) this.chunks.push(chunk);
    this.size += chunk.length;
  }

  onResponseEnd(): void {
    const response: WebhookResponse = { status: this.status, retryAfter: this.retryAfter };
    if (!this.ok()) {
      response.error = Buffer.concat(this.chunks).toString('utf8').slice(0, 200);
    }
    this.answer(response);
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.answer(failure(error));
  }

  private ok(): boolean {
    return this.status >= 200 && this.status < 300;
  }

  private answer(response: WebhookResponse): void {
    if (this.answered) return;
    this.answered = true;
    this.controller = null;
    this.finally();
    this.resolve(response);
  }
}

/** A failed exchange as node:http reported it: the error's code, or `timeout`. */
function failure(error: unknown): WebhookResponse {
  if (error instanceof AddressRefusedError) {
    return { status: null, error: error.message, refused: error.message };
  }
  const err = error as NodeJS.ErrnoException;
  if (typeof err.code === 'string' && TIMEOUT_CODES.has(err.code)) {
    return { status: null, error: 'timeout' };
  }
  return { status: null, error: typeof err.code === 'string' ? err.code : err.message };
}

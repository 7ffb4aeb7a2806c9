import * as dns from 'node:dns';
import { isIP, type LookupFunction } from 'node:net';
import { type AttemptResponse, refusedAddressReason } from '@lead-router/delivery';
import { LeadRouterError } from '@lead-router/errors';
import { Agent } from 'undici';

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
 * a slow answer must not hold up the requests queued behind it). It replaced node:http's
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
    // The deadline covers the whole exchange: connecting, sending, the answer and its body. Its
    // timer and the listener on the caller's signal end with the exchange, so nothing of a
    // finished delivery stays reachable until a timer fires.
    const abort = new AbortController();
    let timedOut = false;
    const timer = setTimeout(() => {
      timedOut = true;
      abort.abort();
    }, options.timeoutMs);
    const outer = options.signal;
    const onAbort = () => abort.abort();
    if (outer?.aborted) abort.abort();
    else outer?.addEventListener('abort', onAbort, { once: true });
    try {
      const { statusCode, headers, body } = await (
        options.allowPrivate ? this.open : this.guarded
      ).request({
        origin: url.origin,
        path: `${url.pathname}${url.search}`,
        method: 'POST',
        headers: request.headers,
        body: request.body,
        signal: abort.signal,
      });
      const ok = statusCode >= 200 && statusCode < 300;
      const retryAfter = headers['retry-after'];
      const answer: WebhookResponse = {
        status: statusCode,
        retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
      };
      if (ok) {
        await body.dump();
        return answer;
      }
      // Keep the start of an error body for the outcome; read (and drop) the rest.
      const chunks: Buffer[] = [];
      let size = 0;
      for await (const chunk of body as AsyncIterable<Buffer>) {
        if (size < 200) chunks.push(chunk);
        size += chunk.length;
      }
      return { ...answer, error: Buffer.concat(chunks).toString('utf8').slice(0, 200) };
    } catch (error) {
      return failure(error, timedOut);
    } finally {
      clearTimeout(timer);
      outer?.removeEventListener('abort', onAbort);
    }
  }

  /** Closes every connection; a request still in flight ends with no response. */
  close(): void {
    for (const agent of [this.guarded, this.open]) void agent.destroy().catch(() => undefined);
  }
}

/** A failed exchange as node:http reported it: the error's code, `timeout`, or `ABORT_ERR`. */
function failure(error: unknown, timedOut: boolean): WebhookResponse {
  if (error instanceof AddressRefusedError) {
    return { status: null, error: error.message, refused: error.message };
  }
  const err = error as NodeJS.ErrnoException;
  if (timedOut || (typeof err.code === 'string' && TIMEOUT_CODES.has(err.code))) {
    return { status: null, error: 'timeout' };
  }
  if (err.name === 'AbortError') return { status: null, error: 'ABORT_ERR' };
  return { status: null, error: typeof err.code === 'string' ? err.code : err.message };
}

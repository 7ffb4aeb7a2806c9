import * as dns from 'node:dns';
import * as http from 'node:http';
import * as https from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { type AttemptResponse, refusedAddressReason } from '@lead-router/delivery';
import { LeadRouterError } from '@lead-router/errors';

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

/**
 * POSTs webhooks over keep-alive agents shared by every delivery: one TCP (and TLS) connection
 * per in-flight POST to a destination, reused afterwards. node:http over a keep-alive Agent costs
 * a third of the CPU of `fetch` per request here (bench/RESULTS.md). Destinations that allow
 * private addresses get their own agents, so a connection opened for one is never reused by a
 * destination that does not.
 */
export class WebhookClient {
  private readonly guarded: { http: http.Agent; https: https.Agent };
  private readonly open: { http: http.Agent; https: https.Agent };

  constructor(lookup: typeof dns.lookup = dns.lookup) {
    const agents = (options: http.AgentOptions) => ({
      http: new http.Agent({ keepAlive: true, maxSockets: 256, ...options }),
      https: new https.Agent({ keepAlive: true, maxSockets: 256, ...options }),
    });
    this.guarded = agents({ lookup: guardedLookup(lookup) });
    this.open = agents({ lookup: lookup as unknown as LookupFunction });
  }

  /** One POST with a deadline; any failure to get a response is `status: null`, never a throw. */
  post(
    request: { url: string; headers: Record<string, string>; body: string },
    options: PostOptions,
  ): Promise<WebhookResponse> {
    return new Promise((resolve) => {
      let url: URL;
      try {
        url = new URL(request.url);
      } catch {
        resolve({ status: null, error: 'invalid url' });
        return;
      }
      const secure = url.protocol === 'https:';
      // An IP literal never goes through the lookup: check it here.
      const literal = url.hostname.replace(/^\[(.*)\]$/, '$1');
      if (!options.allowPrivate && isIP(literal) !== 0) {
        const why = refusedAddressReason(literal);
        if (why !== null) {
          const refused = new AddressRefusedError(url.hostname, literal, why).message;
          resolve({ status: null, error: refused, refused });
          return;
        }
      }
      const agents = options.allowPrivate ? this.open : this.guarded;
      const body = Buffer.from(request.body);
      const req = (secure ? https : http).request(
        url,
        {
          method: 'POST',
          agent: secure ? agents.https : agents.http,
          headers: { ...request.headers, 'content-length': String(body.length) },
          timeout: options.timeoutMs,
          ...(options.signal ? { signal: options.signal } : {}),
        },
        (res) => {
          const chunks: Buffer[] = [];
          let size = 0;
          res.on('data', (chunk: Buffer) => {
            // Keep the start of an error body for the outcome; read (and drop) the rest.
            if (size < 200) chunks.push(chunk);
            size += chunk.length;
          });
          res.on('end', () => {
            const status = res.statusCode ?? null;
            const ok = status !== null && status >= 200 && status < 300;
            const retryAfter = res.headers['retry-after'];
            resolve({
              status,
              retryAfter: typeof retryAfter === 'string' ? retryAfter : null,
              ...(ok ? {} : { error: Buffer.concat(chunks).toString('utf8').slice(0, 200) }),
            });
          });
          res.on('error', (err) => resolve({ status: null, error: err.message }));
        },
      );
      req.on('timeout', () => req.destroy(new Error('timeout')));
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof AddressRefusedError) {
          resolve({ status: null, error: err.message, refused: err.message });
        } else resolve({ status: null, error: err.code ?? err.message });
      });
      req.end(body);
    });
  }

  close(): void {
    for (const agent of [this.guarded.http, this.guarded.https, this.open.http, this.open.https]) {
      agent.destroy();
    }
  }
}

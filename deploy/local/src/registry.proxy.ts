import * as crypto from 'node:crypto';
import * as https from 'node:https';
import type { AddressInfo } from 'node:net';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { request } from 'undici';

/**
 * TLS and HTTP basic auth in front of Apicurio Registry, as nginx or an API gateway does in a
 * deployment. Apicurio 3 authenticates with OIDC only (its basic-auth option exchanges the
 * credentials for a token at the OIDC server), so without a Keycloak the secure local stack puts
 * this proxy on the public port and keeps Apicurio itself on a loopback port behind it.
 */
export interface RegistryProxy {
  port: number;
  close(): Promise<void>;
}

const HOP_BY_HOP = new Set([
  'connection',
  'keep-alive',
  'proxy-authenticate',
  'proxy-authorization',
  'te',
  'trailer',
  'transfer-encoding',
  'upgrade',
  'host',
  // the registry behind sees no credentials: they are checked here
  'authorization',
]);

const digest = (s: string): Buffer => crypto.createHash('sha256').update(s).digest();

export async function startRegistryProxy(o: {
  port: number;
  /** Apicurio's own base URL, e.g. http://127.0.0.1:41234 */
  upstream: string;
  cert: string;
  key: string;
  username: string;
  password: string;
}): Promise<RegistryProxy> {
  // Compared as digests, in constant time, so neither length nor content leaks through timing.
  const expected = digest(`${o.username}:${o.password}`);
  const authorized = (header: string | undefined): boolean => {
    const m = /^Basic\s+([A-Za-z0-9+/=]+)$/i.exec(header ?? '');
    if (m === null || m[1] === undefined) return false;
    return crypto.timingSafeEqual(digest(Buffer.from(m[1], 'base64').toString('utf8')), expected);
  };

  const server = https.createServer({ cert: o.cert, key: o.key }, (req, res) => {
    if (!authorized(req.headers.authorization)) {
      res.writeHead(401, {
        'www-authenticate': 'Basic realm="schema registry", charset="UTF-8"',
        'content-type': 'application/json',
      });
      res.end(JSON.stringify({ error_code: 401, message: 'Unauthorized' }));
      return;
    }
    const headers: Record<string, string | string[]> = {};
    for (const [k, v] of Object.entries(req.headers))
      if (v !== undefined && !HOP_BY_HOP.has(k)) headers[k] = v;
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    request(`${o.upstream}${req.url ?? '/'}`, {
      method: (req.method ?? 'GET') as 'GET',
      headers,
      ...(hasBody ? { body: Readable.from(req) } : {}),
    })
      .then(async (up) => {
        const out: Record<string, string | string[]> = {};
        for (const [k, v] of Object.entries(up.headers))
          if (v !== undefined && !HOP_BY_HOP.has(k)) out[k] = v;
        res.writeHead(up.statusCode, out);
        await pipeline(up.body, res);
      })
      .catch(() => {
        if (!res.headersSent) res.writeHead(502, { 'content-type': 'application/json' });
        res.end(JSON.stringify({ error_code: 502, message: 'registry unreachable' }));
      });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(o.port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

import * as http from 'node:http';

/**
 * A tiny webhook receiver for demos and end-to-end tests of sink-webhook: records every POST
 * (any path) in memory and lists them at GET /deliveries.
 */
export interface DemoInboxOptions {
  port: number;
  /** default 127.0.0.1 */
  host?: string;
  /** default 1 MiB; larger bodies get 413 */
  maxBodyBytes?: number;
}

export interface InboxDelivery {
  index: number;
  path: string;
  receivedAt: string;
  headers: {
    'webhook-id'?: string;
    'webhook-timestamp'?: string;
    'webhook-signature'?: string;
    'content-type'?: string;
  };
  /** the parsed JSON body, or the raw text when it is not JSON */
  body: unknown;
  /** the exact body text (what a signature is computed over) */
  rawBody: string;
}

export interface DemoInbox {
  url: string;
  port: number;
  deliveries(): readonly InboxDelivery[];
  clear(): void;
  close(): Promise<void>;
}

const KEPT_HEADERS = [
  'webhook-id',
  'webhook-timestamp',
  'webhook-signature',
  'content-type',
] as const;

export function startDemoInbox(opts: DemoInboxOptions): Promise<DemoInbox> {
  const host = opts.host ?? '127.0.0.1';
  const maxBody = opts.maxBodyBytes ?? 1024 * 1024;
  let deliveries: InboxDelivery[] = [];
  let offset = 0; // index of deliveries[0]; indexes keep growing across DELETE so `since` paging stays valid

  const send = (res: http.ServerResponse, status: number, payload: unknown): void => {
    const body = JSON.stringify(payload);
    res.writeHead(status, {
      'content-type': 'application/json',
      'content-length': Buffer.byteLength(body),
    });
    res.end(body);
  };

  const server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://inbox.local');
    const method = req.method ?? 'GET';

    if (method === 'GET' && url.pathname === '/health') {
      send(res, 200, { status: 'ok', count: deliveries.length });
      return;
    }
    if (method === 'GET' && url.pathname === '/deliveries') {
      const sinceRaw = url.searchParams.get('since');
      const since = sinceRaw === null ? 0 : Number(sinceRaw);
      if (!Number.isInteger(since) || since < 0) {
        send(res, 400, { ok: false, error: 'since must be a non-negative integer' });
        return;
      }
      const page = deliveries.filter((d) => d.index >= since);
      send(res, 200, {
        count: page.length,
        total: deliveries.length,
        next: offset + deliveries.length,
        deliveries: page,
      });
      return;
    }
    if (method === 'DELETE' && url.pathname === '/deliveries') {
      offset += deliveries.length;
      const cleared = deliveries.length;
      deliveries = [];
      send(res, 200, { ok: true, cleared });
      return;
    }
    if (method === 'POST') {
      const chunks: Buffer[] = [];
      let size = 0;
      let tooBig = false;
      req.on('data', (c: Buffer) => {
        size += c.length;
        if (size > maxBody) tooBig = true;
        else chunks.push(c);
      });
      req.on('end', () => {
        if (tooBig) {
          send(res, 413, { ok: false, error: `body over ${maxBody} bytes` });
          return;
        }
        const rawBody = Buffer.concat(chunks).toString('utf8');
        let body: unknown = rawBody;
        try {
          body = JSON.parse(rawBody) as unknown;
        } catch {
          // keep the text
        }
        const headers: InboxDelivery['headers'] = {};
        for (const h of KEPT_HEADERS) {
          const v = req.headers[h];
          if (typeof v === 'string') headers[h] = v;
          else if (Array.isArray(v)) headers[h] = v.join(', ');
        }
        deliveries.push({
          index: offset + deliveries.length,
          path: url.pathname,
          receivedAt: new Date().toISOString(),
          headers,
          body,
          rawBody,
        });
        send(res, 200, { ok: true });
      });
      req.on('error', () => res.destroy());
      return;
    }
    send(res, 404, { ok: false, error: `no route for ${method} ${url.pathname}` });
  });

  return new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(opts.port, host, () => {
      server.removeListener('error', reject);
      const addr = server.address();
      const port = addr !== null && typeof addr !== 'string' ? addr.port : opts.port;
      resolve({
        url: `http://${host.includes(':') ? `[${host}]` : host}:${port}`,
        port,
        deliveries: () => deliveries,
        clear: () => {
          offset += deliveries.length;
          deliveries = [];
        },
        close: () =>
          new Promise<void>((res, rej) => {
            server.close((err) => (err ? rej(err) : res()));
            server.closeAllConnections();
          }),
      });
    });
  });
}

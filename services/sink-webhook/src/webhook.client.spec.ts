import assert from 'node:assert/strict';
import type * as dns from 'node:dns';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { WebhookClient } from './webhook.client';

/** A resolver that knows a few names, as a DNS server would answer them. */
const fakeLookup = ((
  hostname: string,
  options: dns.LookupAllOptions,
  callback: (err: NodeJS.ErrnoException | null, addresses: dns.LookupAddress[]) => void,
) => {
  const known: Record<string, dns.LookupAddress[]> = {
    'inbox.example.test': [{ address: '127.0.0.1', family: 4 }],
    'mixed.example.test': [
      { address: '93.184.215.14', family: 4 },
      { address: '10.0.0.7', family: 4 },
    ],
  };
  const found = known[hostname];
  setImmediate(() =>
    found
      ? callback(null, found)
      : callback(
          Object.assign(new Error(`getaddrinfo ENOTFOUND ${hostname}`), { code: 'ENOTFOUND' }),
          [],
        ),
  );
}) as unknown as typeof dns.lookup;

describe('WebhookClient', () => {
  let server: Server;
  let port: number;
  const sut = new WebhookClient(fakeLookup);
  const seen: { headers: Record<string, unknown>; body: string }[] = [];
  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        if (req.url === '/busy') {
          res.writeHead(503, { 'retry-after': '7' }).end('try later');
        } else if (req.url === '/slow') {
          setTimeout(() => res.writeHead(200).end(), 500);
        } else res.writeHead(204).end();
      });
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    port = (server.address() as AddressInfo).port;
  });
  after(async () => {
    sut.close();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  const request = (path: string, host = '127.0.0.1') => ({
    url: `http://${host}:${port}${path}`,
    headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
    body: '{"a":1}',
  });
  const local = { timeoutMs: 2000, allowPrivate: true };
  const guarded = { timeoutMs: 2000, allowPrivate: false };

  it('sends the body and headers and reports the status', async () => {
    assert.deepEqual(await sut.post(request('/ok'), local), { status: 204, retryAfter: null });
    const last = seen.at(-1)!;
    assert.equal(last.body, '{"a":1}');
    assert.equal(last.headers['webhook-id'], 'msg_1');
  });

  it('keeps Retry-After and the start of an error body', async () => {
    assert.deepEqual(await sut.post(request('/busy'), local), {
      status: 503,
      retryAfter: '7',
      error: 'try later',
    });
  });

  it('reports a timeout or a refused connection as no response', async () => {
    assert.equal((await sut.post(request('/slow'), { ...local, timeoutMs: 100 })).status, null);
    const refused = await sut.post({ ...request('/'), url: 'http://127.0.0.1:9/x' }, local);
    assert.deepEqual(refused, { status: null, error: 'ECONNREFUSED' });
  });

  it('refuses a host name resolving to 127.0.0.1 without allow_private, and sends with it', async () => {
    const before = seen.length;
    const refused = await sut.post(request('/ok', 'inbox.example.test'), guarded);
    assert.equal(refused.status, null);
    assert.equal(
      refused.refused,
      'inbox.example.test resolves to 127.0.0.1, a loopback address; a webhook destination may call it only with allow_private: true',
    );
    assert.equal(seen.length, before, 'nothing reached the server');

    const allowed = await sut.post(request('/ok', 'inbox.example.test'), local);
    assert.deepEqual(allowed, { status: 204, retryAfter: null });
    assert.equal(seen.length, before + 1);
  });

  it('refuses a host when any address it resolves to is private', async () => {
    const refused = await sut.post(request('/ok', 'mixed.example.test'), guarded);
    assert.match(refused.refused ?? '', /resolves to 10\.0\.0\.7, a private address/);
  });

  it('refuses loopback, private and metadata IP literals without allow_private', async () => {
    const before = seen.length;
    for (const [host, why] of [
      ['127.0.0.1', 'a loopback address'],
      ['[::1]', 'a loopback address'],
      ['[::ffff:127.0.0.1]', 'a loopback address'],
      ['10.1.2.3', 'a private address'],
      ['169.254.169.254', 'a link-local or cloud metadata address'],
    ] as const) {
      const response = await sut.post(request('/ok', host), guarded);
      assert.equal(response.status, null, host);
      assert.ok(response.refused?.includes(why), `${host}: ${response.refused}`);
    }
    assert.equal(seen.length, before, 'nothing reached the server');
  });

  it('keeps a lookup failure a passing failure, not a refusal', async () => {
    const response = await sut.post(request('/ok', 'unknown.example.test'), guarded);
    assert.deepEqual(response, { status: null, error: 'ENOTFOUND' });
  });

  it('answers a timeout for a request still waiting for a connection, and the pool goes on', async () => {
    const single = new WebhookClient({ connections: 1, lookup: fakeLookup });
    try {
      const slow = single.post(request('/slow'), { ...local, timeoutMs: 5_000 });
      const queued = await single.post(request('/ok'), { ...local, timeoutMs: 100 });
      assert.deepEqual(queued, { status: null, error: 'timeout' });
      assert.deepEqual(await slow, { status: 200, retryAfter: null });
      assert.deepEqual(await single.post(request('/ok'), local), { status: 204, retryAfter: null });
    } finally {
      single.close();
    }
  });

  it("answers ABORT_ERR when the caller's signal aborts, before or during the request", async () => {
    const aborted = new AbortController();
    aborted.abort();
    assert.deepEqual(await sut.post(request('/ok'), { ...local, signal: aborted.signal }), {
      status: null,
      error: 'ABORT_ERR',
    });
    const during = new AbortController();
    const pending = sut.post(request('/slow'), { ...local, signal: during.signal });
    setTimeout(() => during.abort(), 50);
    assert.deepEqual(await pending, { status: null, error: 'ABORT_ERR' });
  });
});

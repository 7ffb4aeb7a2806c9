import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { postWebhook } from './webhook.client';

describe('postWebhook', () => {
  let server: Server;
  let base: string;
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
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise<void>((resolve) => server.close(() => resolve())));

  const request = (path: string) => ({
    url: `${base}${path}`,
    headers: { 'content-type': 'application/json', 'webhook-id': 'msg_1' },
    body: '{"a":1}',
  });

  it('sends the body and headers and reports the status', async () => {
    const sut = await postWebhook(request('/ok'), 2000);
    assert.deepEqual(sut, { status: 204, retryAfter: null });
    const last = seen.at(-1)!;
    assert.equal(last.body, '{"a":1}');
    assert.equal(last.headers['webhook-id'], 'msg_1');
  });

  it('keeps Retry-After and the start of an error body', async () => {
    const sut = await postWebhook(request('/busy'), 2000);
    assert.deepEqual(sut, { status: 503, retryAfter: '7', error: 'try later' });
  });

  it('reports a timeout or a refused connection as no response', async () => {
    assert.equal((await postWebhook(request('/slow'), 100)).status, null);
    const refused = await postWebhook({ ...request('/'), url: 'http://127.0.0.1:9/x' }, 1000);
    assert.deepEqual(refused, { status: null, error: 'ECONNREFUSED' });
  });
});

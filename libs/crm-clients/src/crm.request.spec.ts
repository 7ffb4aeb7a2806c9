import assert from 'node:assert/strict';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { crmRequest, jsonHeaders, jsonOrNull, MAX_ANSWER_BYTES } from './crm.request';

describe('crmRequest', () => {
  let server: Server;
  let url: string;
  let answer: (req: IncomingMessage, body: string, res: ServerResponse) => void = () => undefined;

  before(async () => {
    server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString('utf8')));
      req.on('end', () => answer(req, body, res));
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/x`;
  });
  after(() => {
    server.closeAllConnections();
    return new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('sends the method, headers and body, and reads the whole answer', async () => {
    answer = (req, body, res) => {
      res.writeHead(201, { 'content-type': 'application/json', 'x-seen': req.method ?? '' });
      res.end(JSON.stringify({ body, authorization: req.headers.authorization }));
    };
    const got = await crmRequest({
      url,
      method: 'PATCH',
      headers: jsonHeaders('tok'),
      body: '{"a":1}',
      timeoutMs: 2_000,
    });
    assert.equal(got.statusCode, 201);
    assert.equal(got.headers['x-seen'], 'PATCH');
    assert.deepEqual(jsonOrNull(got.text), { body: '{"a":1}', authorization: 'Bearer tok' });
  });

  it('fails with a TimeoutError when the body stops coming: the deadline covers the answer', async () => {
    answer = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"results": [');
    };
    await assert.rejects(
      crmRequest({ url, method: 'POST', headers: {}, body: '', timeoutMs: 200 }),
      { name: 'TimeoutError' },
    );
  });

  it("ends with the caller's reason when the caller's signal aborts first", async () => {
    answer = () => undefined;
    const outer = new AbortController();
    const pending = crmRequest({
      url,
      method: 'POST',
      headers: {},
      body: '',
      timeoutMs: 10_000,
      signal: outer.signal,
    });
    setTimeout(() => outer.abort(new Error('sink stopping')), 50);
    await assert.rejects(pending, { message: 'sink stopping' });
  });

  it('cuts an answer longer than MAX_ANSWER_BYTES, which then reads as no JSON', async () => {
    const chunk = Buffer.alloc(1024 * 1024, 'a');
    answer = (_req, _body, res) => {
      res.writeHead(200, { 'content-type': 'application/json' });
      res.write('{"a":"');
      for (let i = 0; i < 10; i++) res.write(chunk);
      res.end('"}');
    };
    const got = await crmRequest({ url, method: 'POST', headers: {}, body: '', timeoutMs: 5_000 });
    assert.ok(got.text.length <= MAX_ANSWER_BYTES, `${got.text.length} characters read`);
    assert.ok(
      got.text.length > MAX_ANSWER_BYTES - chunk.length,
      `${got.text.length} characters read`,
    );
    assert.equal(jsonOrNull(got.text), null);
  });
});

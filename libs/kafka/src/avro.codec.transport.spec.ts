import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { AvroCodec } from './avro.codec';

/** A registry that records each request's method, path and Authorization header. */
describe('AvroCodec.connect with registry basic auth', () => {
  const seen: { request: string; authorization: string | undefined }[] = [];
  let registry: http.Server;
  let url: string;

  before(async () => {
    registry = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        seen.push({
          request: `${req.method} ${req.url}`,
          authorization: req.headers.authorization,
        });
        const body =
          req.method === 'POST'
            ? { id: 7 }
            : req.method === 'GET'
              ? { compatibilityLevel: 'BACKWARD' }
              : { compatibility: 'BACKWARD' };
        res.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((done) => registry.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/apis/ccompat/v7`;
  });
  after(() => new Promise((done) => registry.close(done)));

  it('sends the credentials on every request: the compatibility rule and the registration', async () => {
    const sut = AvroCodec.connect(url, { auth: { username: 'lead-router', password: 'p4ss' } });
    assert.equal(await sut.registerTopic('t.leads.raw', 'RawLead'), 7);
    const expected = `Basic ${Buffer.from('lead-router:p4ss').toString('base64')}`;
    assert.ok(seen.some((s) => s.request === 'PUT /apis/ccompat/v7/config/t.leads.raw-value'));
    assert.ok(
      seen.some((s) => s.request.startsWith('POST /apis/ccompat/v7/subjects/t.leads.raw-value')),
    );
    assert.deepEqual(
      seen.filter((s) => s.authorization !== expected),
      [],
    );
  });

  it('sends none without them', async () => {
    seen.length = 0;
    await AvroCodec.connect(url).registerTopic('t.leads.raw', 'RawLead');
    assert.ok(seen.length > 0 && seen.every((s) => s.authorization === undefined));
  });
});

import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Agent, fetch } from 'undici';

import { RegistryProxy, startRegistryProxy } from './registry.proxy';
import { ensureStackSecurity, scramFormatArgs, saslSslServerProperties } from './stack.security';

describe('the secure stack: certificates, users and the registry proxy', () => {
  const seen: { method?: string; url?: string; authorization?: string; body: string }[] = [];
  let upstream: http.Server;
  let sut: RegistryProxy;
  let ca: Agent;
  let dataDir: string;

  before(async () => {
    dataDir = mkdtempSync(join(tmpdir(), 'registry-proxy-'));
    const security = await ensureStackSecurity(dataDir, () => undefined);
    upstream = http.createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        seen.push({
          method: req.method,
          url: req.url,
          authorization: req.headers.authorization,
          body,
        });
        res.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        res.end('["a-value"]');
      });
    });
    await new Promise<void>((done) => upstream.listen(0, '127.0.0.1', done));
    sut = await startRegistryProxy({
      port: 0,
      upstream: `http://127.0.0.1:${(upstream.address() as AddressInfo).port}`,
      cert: readFileSync(security.certFile, 'utf8'),
      key: readFileSync(security.keyFile, 'utf8'),
      username: 'registry',
      password: 'right-password',
    });
    ca = new Agent({ connect: { ca: readFileSync(security.caFile, 'utf8') } });
  });
  after(async () => {
    await sut.close();
    await new Promise((done) => upstream.close(done));
    await ca.close();
  });

  const url = () => `https://127.0.0.1:${sut.port}/apis/ccompat/v7/subjects`;
  const basic = (user: string, password: string) =>
    `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

  it('answers 401 with a Basic challenge to no or wrong credentials, and forwards nothing', async () => {
    for (const headers of [{}, { authorization: basic('registry', 'wrong') }]) {
      const res = await fetch(url(), { dispatcher: ca, headers });
      assert.equal(res.status, 401);
      assert.match(res.headers.get('www-authenticate') ?? '', /^Basic realm=/);
      await res.arrayBuffer();
    }
    assert.equal(seen.length, 0);
  });

  it('forwards a request with the right credentials, without them, body and all', async () => {
    const res = await fetch(url(), {
      dispatcher: ca,
      method: 'POST',
      headers: {
        authorization: basic('registry', 'right-password'),
        'content-type': 'application/json',
      },
      body: '{"schema":"x"}',
    });
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), ['a-value']);
    assert.deepEqual(seen.at(-1), {
      method: 'POST',
      url: '/apis/ccompat/v7/subjects',
      authorization: undefined,
      body: '{"schema":"x"}',
    });
  });

  it('serves a certificate only the stack CA vouches for', async () => {
    await assert.rejects(fetch(url()), (err: Error) => {
      assert.match(String((err.cause as Error | undefined)?.message), /certificate/);
      return true;
    });
  });

  it('makes the broker SASL_SSL only, with both SCRAM mechanisms, and keeps the users on a restart', async () => {
    const security = await ensureStackSecurity(dataDir, () => undefined);
    const again = await ensureStackSecurity(dataDir, () => undefined);
    assert.equal(again.client.password, security.client.password);
    const props = saslSslServerProperties(security, { kafkaPort: 9093, controllerPort: 9094 });
    assert.equal(props['listeners'], 'SASL_SSL://127.0.0.1:9093,CONTROLLER://127.0.0.1:9094');
    assert.equal(props['listener.security.protocol.map'], 'CONTROLLER:PLAINTEXT,SASL_SSL:SASL_SSL');
    assert.equal(props['sasl.enabled.mechanisms'], 'SCRAM-SHA-512,SCRAM-SHA-256');
    const args = scramFormatArgs(security);
    assert.equal(args.filter((a) => a === '--add-scram').length, 4);
    assert.ok(
      args.includes(`SCRAM-SHA-256=[name=lead-router,password=${security.client.password}]`),
    );
  });
});

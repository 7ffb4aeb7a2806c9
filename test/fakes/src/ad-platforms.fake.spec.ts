import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  startFakeLinkedIn,
  startFakeMetaGraph,
  type FakeLinkedIn,
  type FakeMetaGraph,
} from './ad-platforms.fake';

describe('fake Meta Graph API', () => {
  let sut: FakeMetaGraph;
  const proof = createHmac('sha256', 'app-secret').update('page-token').digest('hex');
  before(async () => {
    sut = await startFakeMetaGraph({
      accessToken: 'page-token',
      appSecret: 'app-secret',
      leads: [{ id: '9001' }],
    });
  });
  after(() => sut.close());
  const get = async (path: string) => {
    const res = await fetch(`${sut.url}${path}`);
    return { status: res.status, body: (await res.json()) as { error?: { code: number } } };
  };

  it('answers a known lead to the right token and proof, and Graph errors otherwise', async () => {
    assert.equal(
      (await get(`/v21.0/9001?access_token=page-token&appsecret_proof=${proof}`)).status,
      200,
    );
    assert.equal((await get('/v21.0/9001?access_token=page-token')).body.error?.code, 100);
    assert.equal(
      (await get(`/v21.0/9001?access_token=other&appsecret_proof=${proof}`)).body.error?.code,
      190,
    );
    const unknown = await get(`/v21.0/404?access_token=page-token&appsecret_proof=${proof}`);
    assert.deepEqual([unknown.status, unknown.body.error?.code], [400, 100]);
    assert.deepEqual(sut.served(), ['9001']);
  });

  it('fails on demand with a transient 500, and throttles with code 4', async () => {
    sut.control.failNext(1);
    assert.equal(
      (await get(`/v21.0/9001?access_token=page-token&appsecret_proof=${proof}`)).status,
      500,
    );
    sut.control.throttle(60_000);
    assert.equal(
      (await get(`/v21.0/9001?access_token=page-token&appsecret_proof=${proof}`)).body.error?.code,
      4,
    );
    await sut.control.heal();
  });
});

describe('fake LinkedIn Lead Sync API', () => {
  let sut: FakeLinkedIn;
  before(async () => {
    sut = await startFakeLinkedIn({
      accessToken: 'li-token',
      responses: [{ id: 'r1' }],
      forms: [{ id: 7788 }],
    });
  });
  after(() => sut.close());
  const get = async (path: string, headers: Record<string, string>) =>
    (await fetch(`${sut.url}${path}`, { headers })).status;
  const ok = {
    authorization: 'Bearer li-token',
    'linkedin-version': '202601',
    'x-restli-protocol-version': '2.0.0',
  };

  it('needs the token and the version header, and knows responses and forms by id', async () => {
    assert.equal(await get('/rest/leadFormResponses/r1', ok), 200);
    assert.equal(await get('/rest/leadForms/7788', ok), 200);
    assert.equal(await get('/rest/leadFormResponses/r2', ok), 404);
    assert.equal(
      await get('/rest/leadFormResponses/r1', { ...ok, authorization: 'Bearer x' }),
      401,
    );
    assert.equal(
      await get('/rest/leadFormResponses/r1', { authorization: 'Bearer li-token' }),
      400,
    );
    assert.deepEqual(
      sut.violations().map((v) => v.rule),
      ['version-missing'],
    );
    sut.control.throttle(60_000);
    assert.equal(await get('/rest/leadFormResponses/r1', ok), 429);
    await sut.control.heal();
  });
});

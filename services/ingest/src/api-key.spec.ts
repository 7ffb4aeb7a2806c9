import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { presentedKey, presentedKeyHash } from './api-key';
import { rateLimitKey } from './rate-limit';

const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
const request = (headers: Record<string, string>, url = '/v1/leads') => ({
  url,
  ip: '198.51.100.4',
  headers,
});

describe('presentedKey', () => {
  const sut = presentedKey;

  it('takes the Bearer token first, trimmed, and X-Api-Key without one', () => {
    assert.equal(sut(request({ authorization: 'Bearer  k1 ', 'x-api-key': 'k2' })), 'k1');
    assert.equal(sut(request({ authorization: 'bearer k1' })), 'k1');
    assert.equal(sut(request({ 'x-api-key': 'k2' })), 'k2');
  });

  it('finds no key in an empty Bearer token, an empty header or none', () => {
    assert.equal(sut(request({ authorization: 'Bearer   ', 'x-api-key': 'k2' })), undefined);
    assert.equal(sut(request({ 'x-api-key': '' })), undefined);
    assert.equal(sut(request({ authorization: 'Basic a2V5' })), undefined);
  });
});

describe('presentedKeyHash', () => {
  const sut = presentedKeyHash;

  it('is the SHA-256 of the presented key, the form INGEST_API_KEYS keeps', () => {
    assert.equal(sut(request({ authorization: 'Bearer k1' })), sha256('k1'));
    assert.equal(sut(request({})), undefined);
  });

  it('is worked out once per request: the rate limit and the guard share it', () => {
    const headers: Record<string, string> = { authorization: 'Bearer k1' };
    assert.equal(sut(request(headers)), sha256('k1'));
    headers['authorization'] = 'Bearer k2';
    assert.equal(sut(request(headers)), sha256('k1'));
    assert.equal(sut(request({ ...headers })), sha256('k2'));
  });
});

describe('rateLimitKey', () => {
  const sut = rateLimitKey;

  it("counts by the key's hash whichever header carries it, never by the key itself", () => {
    const byBearer = sut(request({ authorization: 'Bearer secret-key' }));
    assert.equal(byBearer, `key:${sha256('secret-key')}`);
    assert.equal(sut(request({ 'x-api-key': 'secret-key' })), byBearer);
  });

  it('counts an ad-platform source by its URL and a request without a key by its address', () => {
    assert.equal(sut(request({}, '/v1/sources/meta-ads/webhook')), 'source:meta-ads');
    assert.equal(sut(request({})), 'ip:198.51.100.4');
  });
});

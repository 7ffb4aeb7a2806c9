import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fetchVerdict } from './fetch.verdict';

describe('fetchVerdict', () => {
  const sut = fetchVerdict;

  it("retries Meta's rate limits, which come as HTTP 400 with a Graph error code", () => {
    const body = { error: { code: 80005, message: 'too many calls to this lead gen form' } };
    assert.equal(sut('meta', 400, body, null).kind, 'retry');
    assert.equal(
      sut('meta', 400, { error: { code: 100, message: 'no such object' } }, null).kind,
      'dead',
    );
  });

  it('retries 429 with its Retry-After, and 5xx', () => {
    assert.deepEqual(sut('linkedin', 429, null, '7'), {
      kind: 'retry',
      code: 'rate_limited',
      reason: 'HTTP 429',
      retryAfterMs: 7000,
    });
    assert.equal(sut('linkedin', 503, null, null).kind, 'retry');
  });

  it('gives up on a refused token and on a lead the platform does not have', () => {
    assert.equal(sut('meta', 400, { error: { code: 190 } }, null).kind, 'dead');
    assert.deepEqual(sut('linkedin', 404, null, null), {
      kind: 'dead',
      code: 'lead_not_fetched',
      reason: 'HTTP 404',
    });
    assert.equal(sut('linkedin', 401, null, null).kind, 'dead');
  });
});

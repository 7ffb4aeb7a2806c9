import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DELIVERY_VERDICT_KINDS, isFinalVerdict } from './delivery-verdict.type';
import { classifyResponse, webhookVerdict } from './response.classifier';

describe('classifyResponse', () => {
  const sut = classifyResponse;

  const cases: [number | null, string][] = [
    [200, 'delivered'],
    [202, 'delivered'],
    [299, 'delivered'],
    [null, 'retry'],
    [408, 'retry'],
    [409, 'retry'],
    [425, 'retry'],
    [429, 'retry'],
    [500, 'retry'],
    [503, 'retry'],
    [301, 'reject'],
    [400, 'reject'],
    [401, 'reject'],
    [404, 'reject'],
    [410, 'reject'],
    [422, 'reject'],
  ];
  for (const [status, expected] of cases) {
    it(`${String(status)} → ${expected}`, () => {
      assert.equal(sut(status), expected);
    });
  }
});

describe('webhookVerdict', () => {
  const now = Date.UTC(2026, 10, 25, 12, 0, 0);

  it('is delivered on a 2xx, with the id the receiver gave the record', () => {
    const sut = webhookVerdict({ status: 201, externalId: 'rec-9' }, now);
    assert.deepEqual(sut, { kind: 'delivered', crmId: 'rec-9', created: null, httpStatus: 201 });
  });

  it('retries no response and 5xx, carrying the reason', () => {
    assert.deepEqual(webhookVerdict({ status: null, error: 'ECONNRESET' }, now), {
      kind: 'retry',
      reason: 'no response (ECONNRESET)',
    });
    assert.deepEqual(webhookVerdict({ status: 503 }, now), {
      kind: 'retry',
      reason: 'HTTP 503',
      httpStatus: 503,
    });
  });

  it('retries a 429 no sooner than its Retry-After, in seconds or as a date', () => {
    const inSeconds = webhookVerdict({ status: 429, retryAfter: '7' }, now);
    assert.deepEqual(inSeconds, {
      kind: 'retry',
      reason: 'HTTP 429',
      retryAfterMs: 7000,
      httpStatus: 429,
    });
    const asDate = webhookVerdict(
      { status: 503, retryAfter: new Date(now + 90_000).toUTCString() },
      now,
    );
    assert.equal(asDate.kind === 'retry' && asDate.retryAfterMs, 90_000);
  });

  it('is permanent on any other 4xx or a 3xx, with the status as its code', () => {
    assert.deepEqual(webhookVerdict({ status: 422, error: 'bad body' }, now), {
      kind: 'permanent',
      code: 'http_422',
      message: 'the destination refused the lead with HTTP 422 (bad body)',
      httpStatus: 422,
    });
    assert.equal(webhookVerdict({ status: 301 }, now).kind, 'permanent');
  });
});

describe('isFinalVerdict', () => {
  it('ends the pair only on delivered or permanent', () => {
    const final = DELIVERY_VERDICT_KINDS.filter((kind) =>
      isFinalVerdict(
        kind === 'delivered'
          ? { kind, crmId: null, created: null }
          : kind === 'permanent'
            ? { kind, code: 'x', message: 'x' }
            : kind === 'stop'
              ? { kind, alert: 'x' }
              : { kind, reason: 'x' },
      ),
    );
    assert.deepEqual(final, ['delivered', 'permanent']);
  });
});

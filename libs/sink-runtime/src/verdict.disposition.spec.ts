import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  dispositionFor,
  openCircuitDisposition,
  type DispositionContext,
} from './verdict.disposition';

const ctx = (over: Partial<DispositionContext> = {}): DispositionContext => ({
  attempts: 1,
  retryDelaysMs: [10_000, 60_000],
  fallback: null,
  longestDelayMs: 3_600_000,
  now: 1_000_000,
  ...over,
});

describe('dispositionFor', () => {
  it('delivered keeps the CRM record id', () => {
    const sut = dispositionFor({ kind: 'delivered', crmId: '003X', created: true }, ctx());
    assert.deepEqual(sut, { kind: 'delivered', crmId: '003X' });
  });

  it('keeps the status of the answer that decided a lead alone, for its outcome', () => {
    const ok = { kind: 'delivered', crmId: null, created: null, httpStatus: 200 } as const;
    assert.deepEqual(dispositionFor(ok, ctx()), {
      kind: 'delivered',
      crmId: null,
      httpStatus: 200,
    });
    const gone = { kind: 'permanent', code: 'http_410', message: 'gone', httpStatus: 410 } as const;
    assert.deepEqual(dispositionFor(gone, ctx()), {
      kind: 'failed',
      code: 'http_410',
      message: 'gone',
      httpStatus: 410,
    });
  });

  it('permanent fails with the destination’s own code and message', () => {
    const sut = dispositionFor(
      { kind: 'permanent', code: 'REQUIRED_FIELD_MISSING', message: 'LastName is required' },
      ctx(),
    );
    assert.deepEqual(sut, {
      kind: 'failed',
      code: 'REQUIRED_FIELD_MISSING',
      message: 'LastName is required',
    });
  });

  it('retry takes the delay of this attempt, never less than the destination asked', () => {
    assert.deepEqual(dispositionFor({ kind: 'retry', reason: 'HTTP 503' }, ctx({ attempts: 2 })), {
      kind: 'retry',
      delayMs: 60_000,
      reason: 'HTTP 503',
      counts: true,
    });
    const sut = dispositionFor({ kind: 'retry', reason: 'HTTP 429', retryAfterMs: 90_000 }, ctx());
    assert.equal(sut.kind === 'retry' && sut.delayMs, 90_000);
  });

  it('resend and refresh_token go to the retry tier as attempts', () => {
    for (const verdict of [
      { kind: 'resend', reason: 'rolled back' } as const,
      { kind: 'refresh_token', reason: 'INVALID_SESSION_ID' } as const,
    ]) {
      const sut = dispositionFor(verdict, ctx());
      assert.equal(sut.kind, 'retry');
      assert.equal(sut.kind === 'retry' && sut.counts, true);
      assert.equal(sut.kind === 'retry' && sut.delayMs, 10_000);
    }
  });

  it('after the last delay the lead falls back when there is a fallback, else fails', () => {
    const verdict = { kind: 'retry', reason: 'HTTP 500' } as const;
    assert.deepEqual(dispositionFor(verdict, ctx({ attempts: 3, fallback: 'backup' })), {
      kind: 'fallback',
      to: 'backup',
      reason: 'after 3 attempts: HTTP 500',
    });
    assert.deepEqual(dispositionFor(verdict, ctx({ attempts: 3 })), {
      kind: 'failed',
      code: 'retries_exhausted',
      message: 'after 3 attempts, last: HTTP 500',
    });
  });

  it('wait_for_quota waits until the quota returns without using up an attempt', () => {
    const sut = dispositionFor(
      { kind: 'wait_for_quota', reason: 'DAILY', until: 1_000_000 + 7_200_000 },
      ctx({ attempts: 9 }),
    );
    assert.deepEqual(sut, {
      kind: 'retry',
      delayMs: 7_200_000,
      reason: 'quota spent: DAILY',
      counts: false,
    });
  });

  it('stop sends the lead to the longest tier', () => {
    const sut = dispositionFor({ kind: 'stop', alert: 'token revoked' }, ctx());
    assert.equal(sut.kind === 'retry' && sut.delayMs, 3_600_000);
  });
});

describe('openCircuitDisposition', () => {
  const args = { fallbackAfterMs: 300_000, waitMs: 12_000, fallback: 'backup' };

  it('waits for the probe while the circuit has been open a short time, not using up a retry', () => {
    const sut = openCircuitDisposition({ ...args, openForMs: 60_000 });
    assert.deepEqual(sut, {
      kind: 'retry',
      delayMs: 12_000,
      reason: 'circuit open for 60s',
      counts: false,
    });
  });

  it('falls back once open longer than fallback_after, only when a fallback exists', () => {
    assert.equal(openCircuitDisposition({ ...args, openForMs: 300_000 }).kind, 'fallback');
    assert.equal(
      openCircuitDisposition({ ...args, openForMs: 300_000, fallback: null }).kind,
      'retry',
    );
  });
});

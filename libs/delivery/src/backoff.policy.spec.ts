import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backoffDelay, retryAfterMs } from './backoff.policy';

describe('backoffDelay', () => {
  const sut = backoffDelay;
  const opts = { baseMs: 1_000, maxMs: 60_000 };

  it('doubles the ceiling per attempt up to maxMs', () => {
    const justUnderOne = () => 0.999999;
    assert.deepEqual(
      [1, 2, 3, 4, 7, 8, 50].map((attempt) => sut(attempt, opts, justUnderOne)),
      [999, 1_999, 3_999, 7_999, 59_999, 59_999, 59_999],
    );
  });

  it('draws the full jitter from the random source', () => {
    assert.equal(
      sut(3, opts, () => 0),
      0,
    );
    assert.equal(
      sut(3, opts, () => 0.5),
      2_000,
    );
  });

  it('never waits less than Retry-After', () => {
    assert.equal(
      sut(1, { ...opts, retryAfterMs: 30_000 }, () => 0.5),
      30_000,
    );
    assert.equal(
      sut(6, { ...opts, retryAfterMs: 1_000 }, () => 0.5),
      16_000,
    );
  });
});

describe('retryAfterMs', () => {
  const sut = retryAfterMs;
  const now = Date.UTC(2026, 10, 25, 12, 0, 0);

  it('reads delta-seconds', () => {
    assert.equal(sut('120', now), 120_000);
    assert.equal(sut(' 0 ', now), 0);
  });

  it('reads an HTTP date relative to now, never negative', () => {
    assert.equal(sut('Wed, 25 Nov 2026 12:00:30 GMT', now), 30_000);
    assert.equal(sut('Wed, 25 Nov 2026 11:00:00 GMT', now), 0);
  });

  it('returns null for nothing usable', () => {
    assert.equal(sut(undefined, now), null);
    assert.equal(sut('', now), null);
    assert.equal(sut('soon', now), null);
    assert.equal(sut('-5', now), null);
  });
});

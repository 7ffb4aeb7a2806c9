import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fakeTime } from './fake-time.fixture';
import { retryWhile } from './retry';

describe('retryWhile', () => {
  it('doubles the wait up to its cap and returns the first success', async () => {
    const clock = fakeTime();
    const told: number[] = [];
    let calls = 0;
    const answer = await retryWhile(
      async () => {
        if (++calls < 6) throw new Error('not yet');
        return calls;
      },
      {
        worthRetrying: () => true,
        timeoutMs: 60_000,
        initialDelayMs: 100,
        maxDelayMs: 500,
        onRetry: ({ attempt }) => told.push(attempt),
        ...clock,
      },
    );
    assert.equal(answer, 6);
    assert.deepEqual(clock.sleeps, [100, 200, 400, 500, 500]);
    assert.deepEqual(told, [1, 2, 3, 4, 5]);
  });

  it('gives up with its own error when the next wait would pass the time allowed', async () => {
    const clock = fakeTime();
    await assert.rejects(
      retryWhile(
        async () => {
          throw new Error('down');
        },
        {
          worthRetrying: () => true,
          timeoutMs: 1_000,
          initialDelayMs: 100,
          maxDelayMs: 10_000,
          giveUp: ({ attempt, waitedMs }) => new Error(`gave up after ${attempt} in ${waitedMs}`),
          ...clock,
        },
      ),
      /gave up after 4 in 700/,
    );
    assert.deepEqual(clock.sleeps, [100, 200, 400]);
  });

  it('throws a failure not worth retrying at once, without waiting', async () => {
    const clock = fakeTime();
    await assert.rejects(
      retryWhile(
        async () => {
          throw new Error('refused');
        },
        {
          worthRetrying: () => false,
          timeoutMs: 1_000,
          initialDelayMs: 100,
          maxDelayMs: 100,
          ...clock,
        },
      ),
      /refused/,
    );
    assert.deepEqual(clock.sleeps, []);
  });
});

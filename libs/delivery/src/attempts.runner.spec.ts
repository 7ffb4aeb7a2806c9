import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runAttempts, type AttemptResponse } from './attempts.runner';

function effects(responses: AttemptResponse[]) {
  const sleeps: number[] = [];
  let sent = 0;
  return {
    sleeps,
    sent: () => sent,
    effects: {
      send: async () => responses[sent++] ?? { status: null },
      sleep: async (ms: number) => {
        sleeps.push(ms);
      },
      random: () => 0.5,
      now: () => 1_000_000,
    },
  };
}

const policy = { maxAttempts: 4, baseMs: 100, maxMs: 1000 };

describe('runAttempts', () => {
  it('retries 5xx and network errors with growing backoff until delivered', async () => {
    const fx = effects([{ status: 503 }, { status: null, error: 'ECONNREFUSED' }, { status: 200 }]);
    const sut = await runAttempts(policy, fx.effects);
    assert.deepEqual(sut, { status: 'DELIVERED', attempts: 3, httpStatus: 200, externalId: null });
    assert.deepEqual(fx.sleeps, [50, 100]);
  });

  it('waits at least as long as Retry-After asks', async () => {
    const fx = effects([{ status: 429, retryAfter: '3' }, { status: 204 }]);
    await runAttempts(policy, fx.effects);
    assert.deepEqual(fx.sleeps, [3000]);
  });

  it('gives up at once on a permanent 4xx', async () => {
    const fx = effects([{ status: 400, error: 'bad payload' }]);
    const sut = await runAttempts(policy, fx.effects);
    assert.equal(sut.status, 'FAILED');
    assert.equal(fx.sent(), 1);
    assert.ok(sut.status === 'FAILED' && sut.code === 'delivery_rejected');
    assert.match(sut.status === 'FAILED' ? sut.error : '', /HTTP 400 \(bad payload\)/);
  });

  it('reports exhaustion after the last attempt without a final sleep', async () => {
    const fx = effects([{ status: 500 }, { status: 500 }, { status: 502 }, { status: 503 }]);
    const sut = await runAttempts(policy, fx.effects);
    assert.equal(fx.sent(), 4);
    assert.equal(fx.sleeps.length, 3);
    assert.ok(sut.status === 'FAILED' && sut.code === 'delivery_exhausted');
    assert.equal(sut.httpStatus, 503);
  });
});

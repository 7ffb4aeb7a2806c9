import assert from 'node:assert/strict';
import { getActiveResourcesInfo } from 'node:process';
import { describe, it } from 'node:test';
import { withDeadline } from './deadline';

/** Resolves when `signal` aborts, with its reason. */
const abortReason = (signal: AbortSignal): Promise<unknown> =>
  new Promise((resolve) => signal.addEventListener('abort', () => resolve(signal.reason)));

const timers = (): number => getActiveResourcesInfo().filter((r) => r === 'Timeout').length;

describe('withDeadline', () => {
  it('aborts the work with a TimeoutError when the deadline passes', async () => {
    const reason = await withDeadline(20, (signal) => abortReason(signal));
    assert.ok(reason instanceof DOMException);
    assert.equal(reason.name, 'TimeoutError');
    assert.match(reason.message, /20 ms/);
  });

  it('aborts the work with the outer reason when the outer signal aborts', async () => {
    const outer = new AbortController();
    const reason = withDeadline(60_000, (signal) => abortReason(signal), outer.signal);
    outer.abort('shutting down');
    assert.equal(await reason, 'shutting down');
  });

  it('starts the work aborted when the outer signal already was', async () => {
    const outer = AbortSignal.abort('gone');
    const seen = await withDeadline(60_000, async (signal) => signal.reason, outer);
    assert.equal(seen, 'gone');
  });

  it('leaves no timer and no listener behind once the work settled, however it ended', async () => {
    const outer = new AbortController();
    let listeners = 0;
    const add = outer.signal.addEventListener.bind(outer.signal);
    const remove = outer.signal.removeEventListener.bind(outer.signal);
    outer.signal.addEventListener = (...args: Parameters<typeof add>) => (
      listeners++,
      add(...args)
    );
    outer.signal.removeEventListener = (...args: Parameters<typeof remove>) => (
      listeners--,
      remove(...args)
    );
    const before = timers();
    let during = 0;
    for (let i = 0; i < 100; i++) {
      await withDeadline(120_000, async () => (during = Math.max(during, timers())), outer.signal);
      await assert.rejects(
        withDeadline(120_000, () => Promise.reject(new Error('refused')), outer.signal),
        /refused/,
      );
    }
    assert.equal(during, before + 1, "the deadline's timer runs while the work does");
    assert.equal(timers(), before);
    assert.equal(listeners, 0);
  });
});

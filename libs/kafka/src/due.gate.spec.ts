import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MAX_DUE_WAIT_MS, gateByDueTime } from './due.gate';

const now = 1_700_000_000_000;

describe('gateByDueTime', () => {
  it('lets a batch through whose records are all due, or carry no due time', () => {
    assert.deepEqual(gateByDueTime([null, now - 5, now, null], now), { kind: 'all-due' });
  });

  it('lets an empty batch through', () => {
    assert.deepEqual(gateByDueTime([], now), { kind: 'all-due' });
  });

  it('handles the due records before the first one that is not, and waits until it is due', () => {
    const sut = gateByDueTime([now - 1, null, now + 3_000, now - 10, null], now);
    assert.deepEqual(sut, { kind: 'wait', ready: 2, dueAt: now + 3_000, waitMs: 3_000 });
  });

  it('keeps a due record behind a waiting one waiting too, so the partition stays in order', () => {
    const sut = gateByDueTime([now + 50, now - 1_000], now);
    assert.deepEqual(sut, { kind: 'wait', ready: 0, dueAt: now + 50, waitMs: 50 });
  });

  it('waits for the first waiting record even when a later one is due sooner', () => {
    const sut = gateByDueTime([now + 9_000, now + 1_000], now);
    assert.equal(sut.kind === 'wait' && sut.dueAt, now + 9_000);
  });

  it('counts a record due exactly now as due', () => {
    assert.deepEqual(gateByDueTime([now, now + 1], now), {
      kind: 'wait',
      ready: 1,
      dueAt: now + 1,
      waitMs: 1,
    });
  });

  it('waits no longer than a timer can hold, so a record due in a month is read again sooner', () => {
    const month = 30 * 24 * 3600 * 1000;
    const sut = gateByDueTime([now + month], now);
    assert.deepEqual(sut, { kind: 'wait', ready: 0, dueAt: now + month, waitMs: MAX_DUE_WAIT_MS });
  });
});

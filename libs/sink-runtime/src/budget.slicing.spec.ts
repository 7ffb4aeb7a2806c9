import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { limiterWindow } from './budget.slicing';

/**
 * The most requests any rolling window of `seconds` sees when a fixed-window limiter is used as
 * hard as it allows: each window opens the moment the previous expired, its first point at its
 * start, and the rest packed either at its start or at its very end, alternating (the packing
 * that crowds a window boundary), both ways round.
 */
function worstRolling(points: number, seconds: number): number {
  const w = limiterWindow({ points, seconds });
  let worst = 0;
  for (const parity of [0, 1]) {
    const events: [number, number][] = [];
    for (let k = 0, start = 0; start < seconds * 20; k++, start += w.seconds) {
      if (k % 2 === parity) events.push([start, w.points]);
      else events.push([start, 1], [start + w.seconds - 1e-6, w.points - 1]);
    }
    let inWindow = 0;
    let first = 0;
    for (const [t, n] of events) {
      inWindow += n;
      while (events[first]![0] <= t - seconds) inWindow -= events[first++]![1];
      worst = Math.max(worst, inWindow);
    }
  }
  return worst;
}

describe('limiterWindow', () => {
  for (const [points, seconds] of [
    [100, 10],
    [10, 2],
    [250_000, 86_400],
    [100_000, 86_400],
    [3, 1],
    [1, 5],
    [7, 30],
  ] as const) {
    it(`keeps every rolling ${seconds}s window within ${points}`, () => {
      assert.ok(worstRolling(points, seconds) <= points);
    });
  }

  it('leaves most of HubSpot’s ten-second budget usable', () => {
    const sut = limiterWindow({ points: 100, seconds: 10 });
    assert.deepEqual(sut, { points: 9, seconds: 1 });
  });
});

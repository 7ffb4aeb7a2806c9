import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import type { DistributionStrategy } from './distribution.strategy';
import {
  deepFreeze,
  memberState,
  queue,
  queueMembers,
  QueueRun,
  routed,
  tally,
} from './queue.fixture';
import { WeightedStrategy } from './weighted.strategy';

describe('weighted', () => {
  const sut = () =>
    new QueueRun(queue('weighted', ['a', 'b'], { a: 'weight: 70', b: 'weight: 30' }));

  it('splits 70/30 in every window of ten consecutive leads, not just overall', () => {
    const chosen = sut().many(1_000);
    assert.deepEqual(tally(chosen), { a: 700, b: 300 });
    for (let start = 0; start + 10 <= chosen.length; start++) {
      assert.deepEqual(tally(chosen.slice(start, start + 10)), { a: 7, b: 3 }, `from ${start}`);
    }
  });

  it('interleaves rather than bunching: b never gets two in a row', () => {
    const chosen = sut().many(100).join('');
    assert.ok(!chosen.includes('bb'), chosen);
  });

  it('records each eligible member weight in the trace', () => {
    const step = routed(sut().next(0)).decision.distribution;
    assert.deepEqual(step?.weights, { a: 70, b: 30 });
    assert.equal(step?.method, 'weighted');
  });
});

describe('WeightedStrategy', () => {
  const strategy: DistributionStrategy = new WeightedStrategy();
  const [a, b] = queueMembers(queue('weighted', ['a', 'b'], { a: 'weight: 5', b: 'weight: 3' }));

  it('adds each weight, picks the highest total and takes the sum back from it alone', () => {
    const candidates = deepFreeze([
      { member: a!, state: memberState({ current: -2 }) },
      { member: b!, state: memberState({ current: 1 }) },
    ]);
    const sut = strategy.pick(candidates, enrichedLeadFixture(), 0);
    assert.equal(sut.chosen, candidates[1]);
    assert.equal(sut.method, 'weighted');
    assert.deepEqual(sut.weights, { a: 5, b: 3 });
    assert.deepEqual(sut.states, {
      a: memberState({ current: 3 }),
      b: memberState({ current: 4 - 8 }),
    });
  });

  it('keeps no load', () => {
    assert.deepEqual(strategy.loadAfterLead([[0, 3]], 1_000), []);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import type { DistributionStrategy } from './distribution.strategy';
import { route } from './lead.router';
import { deepFreeze, memberState, queue, queueMembers, QueueRun, routed } from './queue.fixture';
import type { QueueState } from './queue.state';
import { RoundRobinStrategy } from './round-robin.strategy';

describe('round_robin', () => {
  it('serves members in turn', () => {
    const sut = new QueueRun(queue('round_robin', ['a', 'b', 'c']));
    assert.deepEqual(sut.many(7), ['a', 'b', 'c', 'a', 'b', 'c', 'a']);
    const step = routed(sut.next(0)).decision.distribution;
    assert.equal(step?.position, 7);
    assert.equal(step?.method, 'round_robin');
  });

  it('never mutates the states it is given', () => {
    const compiled = queue('round_robin', ['a', 'b']);
    const first = routed(route(compiled, enrichedLeadFixture(), new Map(), 0));
    const state = deepFreeze(first.stateUpdates[0]?.state as QueueState);
    const second = routed(route(compiled, enrichedLeadFixture(), new Map([['q', state]]), 0));
    assert.equal(second.decision.distribution?.chosen_member, 'b');
    assert.equal(state.position, 1);
  });
});

describe('RoundRobinStrategy', () => {
  const strategy: DistributionStrategy = new RoundRobinStrategy();
  const [a, b, c] = queueMembers(queue('round_robin', ['a', 'b', 'c']));

  it('picks never-served members first, in list order, then whoever was served longest ago', () => {
    const fresh = deepFreeze([
      { member: a!, state: memberState({ last: 4 }) },
      { member: b!, state: memberState() },
      { member: c!, state: memberState() },
    ]);
    assert.deepEqual(strategy.pick(fresh, enrichedLeadFixture(), 0), {
      chosen: fresh[1],
      method: 'round_robin',
    });
    const served = deepFreeze([
      { member: a!, state: memberState({ last: 4 }) },
      { member: b!, state: memberState({ last: 2 }) },
      { member: c!, state: memberState({ last: 3 }) },
    ]);
    assert.equal(strategy.pick(served, enrichedLeadFixture(), 0).chosen.member.id, 'b');
  });

  it('keeps no load', () => {
    assert.deepEqual(strategy.loadAfterLead([[0, 3]], 1_000), []);
  });
});

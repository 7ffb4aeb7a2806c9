import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import { route } from './lead.router';
import { LoadBalancedStrategy } from './load-balanced.strategy';
import {
  deepFreeze,
  memberState,
  queue,
  queueMembers,
  QueueRun,
  routed,
  tally,
} from './queue.fixture';
import type { QueueState } from './queue.state';

const HOUR = 3_600_000;

describe('load_balanced', () => {
  it('gives the lead to the member with the fewest leads in the window', () => {
    const compiled = queue('load_balanced', ['a', 'b', 'c']);
    const now = 100 * HOUR;
    const state: QueueState = {
      position: 9,
      members: {
        a: { last: 8, current: 0, recent: [], load: [[now - 30 * HOUR, 9]], away: false },
        b: { last: 7, current: 0, recent: [], load: [[now - HOUR, 3]], away: false },
        c: { last: 6, current: 0, recent: [], load: [[now - 2 * HOUR, 4]], away: false },
      },
    };
    const result = routed(route(compiled, enrichedLeadFixture(), new Map([['q', state]]), now));
    assert.equal(
      result.decision.distribution?.chosen_member,
      'a',
      'a has no leads in the last 24h',
    );
    assert.deepEqual(result.decision.distribution?.loads, { a: 0, b: 3, c: 4 });
  });

  it('keeps the members level, breaking ties by rotation', () => {
    const sut = new QueueRun(queue('load_balanced', ['a', 'b', 'c']));
    const chosen = sut.many(300, (i) => i * 60_000);
    assert.deepEqual(tally(chosen), { a: 100, b: 100, c: 100 });
    assert.deepEqual(chosen.slice(0, 6), ['a', 'b', 'c', 'a', 'b', 'c']);
  });
});

describe('LoadBalancedStrategy', () => {
  const [a, b] = queueMembers(queue('load_balanced', ['a', 'b']));
  /** A 48h window: one-hour load buckets. */
  const sut = () => new LoadBalancedStrategy(48 * HOUR);

  it('credits a member back from away up to the least-loaded colleague, then breaks the tie by rotation', () => {
    const now = 100 * HOUR;
    const candidates = deepFreeze([
      { member: a!, state: memberState({ last: 3, load: [[now - HOUR, 4]] }) },
      { member: b!, state: memberState({ last: 1, load: [[now - 2 * HOUR, 1]], away: true }) },
    ]);
    const choice = sut().pick(candidates, enrichedLeadFixture(), now);
    assert.deepEqual(choice.loads, { a: 4, b: 4 });
    assert.equal(choice.chosen.member.id, 'b');
    assert.equal(choice.method, 'load_balanced');
    const back = memberState({
      last: 1,
      load: [
        [now - 2 * HOUR, 1],
        [now, 3],
      ],
    });
    assert.deepEqual(choice.states, { b: back });
    assert.deepEqual(choice.chosen.state, back);
  });

  it('counts a lead in the bucket of its hour and drops buckets the window has left', () => {
    const now = 50 * HOUR + 10 * 60_000;
    assert.deepEqual(
      sut().loadAfterLead(
        [
          [HOUR, 2],
          [3 * HOUR, 1],
        ],
        now,
      ),
      [
        [3 * HOUR, 1],
        [50 * HOUR, 1],
      ],
    );
    assert.deepEqual(sut().loadAfterLead([[50 * HOUR, 2]], now), [[50 * HOUR, 3]]);
  });
});

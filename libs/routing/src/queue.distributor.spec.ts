import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import { route } from './lead.router';
import { members, queue, QueueRun, queueRules, routed, tally } from './queue.fixture';
import type { QueueState } from './queue.state';

const HOUR = 3_600_000;
/** Monday 2026-11-30 10:00 in Berlin (CET, UTC+1). */
const MONDAY_10_BERLIN = Date.parse('2026-11-30T09:00:00Z');
const SATURDAY_NOON_BERLIN = Date.parse('2026-11-28T11:00:00Z');

describe('skills', () => {
  it('considers only members with every skill the rule requires, recording the others', () => {
    const compiled = queueRules(
      `  q:\n    method: round_robin\n    when_unavailable: { hold: true }\n    members:\n${members(['a', 'b', 'c'], { b: 'skills: [german, french]', c: 'skills: [german]' })}`,
      `  - name: german\n    when: { path: lead.country, eq: DE }\n    queue: q\n    skills: [german]\n    destinations: [crm]`,
    );
    const sut = new QueueRun(compiled);
    assert.deepEqual(sut.many(4), ['b', 'c', 'b', 'c']);
    const step = routed(sut.next(0)).decision.distribution;
    assert.deepEqual(step?.skipped, [{ member: 'a', reason: 'lacks skill german' }]);
  });
});

describe('availability', () => {
  it('skips a member over capacity and never exceeds it', () => {
    const sut = new QueueRun(
      queue('round_robin', ['a', 'b'], { a: 'capacity: { max: 2, window: 1h }' }),
    );
    const chosen = sut.many(6, (i) => i * 60_000);
    assert.deepEqual(chosen, ['a', 'b', 'a', 'b', 'b', 'b']);
    const step = routed(sut.next(10 * 60_000)).decision.distribution;
    assert.deepEqual(step?.skipped, [{ member: 'a', reason: 'at capacity (2 of 2 leads in 1h)' }]);
    assert.equal(routed(sut.next(HOUR + 60_000)).decision.distribution?.chosen_member, 'a');
    const many = new QueueRun(
      queue('round_robin', ['a', 'b'], { a: 'capacity: { max: 5, window: 1h }' }),
    );
    const spread = many.many(2_000, (i) => i * 30_000);
    for (let i = 0; i < spread.length; i++) {
      const inHour = spread.slice(Math.max(0, i - 119), i + 1).filter((m) => m === 'a').length;
      assert.ok(inHour <= 5, `a had ${inHour} leads in the hour up to lead ${i}`);
    }
  });

  it('skips a member outside working hours in their time zone, across DST', () => {
    const compiled = queue('round_robin', ['a', 'b'], {
      a: 'working_hours: { timezone: Europe/Berlin, days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:30" }',
    });
    const sut = (now: number) =>
      routed(route(compiled, enrichedLeadFixture(), new Map(), now)).decision.distribution;
    assert.equal(sut(MONDAY_10_BERLIN)?.chosen_member, 'a');
    assert.deepEqual(sut(SATURDAY_NOON_BERLIN)?.skipped, [
      {
        member: 'a',
        reason: 'outside working hours (mon,tue,wed,thu,fri 09:00-17:30 Europe/Berlin)',
      },
    ]);
    // Summer time: 07:30 UTC is 09:30 in Berlin, 06:30 UTC is 08:30.
    assert.equal(sut(Date.parse('2026-06-01T07:30:00Z'))?.chosen_member, 'a');
    assert.equal(sut(Date.parse('2026-06-01T06:30:00Z'))?.chosen_member, 'b');
    assert.equal(sut(Date.parse('2026-06-01T15:29:00Z'))?.chosen_member, 'a');
    assert.equal(sut(Date.parse('2026-06-01T15:30:00Z'))?.chosen_member, 'b');
  });

  it('skips a member out of office, and takes them back when the period ends', () => {
    const compiled = queue('round_robin', ['a', 'b'], {
      a: 'out_of_office: [ { start: "2026-12-01T00:00:00+01:00", end: "2026-12-03T00:00:00+01:00" } ]',
    });
    const sut = (now: string) =>
      routed(route(compiled, enrichedLeadFixture(), new Map(), Date.parse(now))).decision
        .distribution;
    assert.deepEqual(sut('2026-12-02T12:00:00Z')?.skipped, [
      { member: 'a', reason: 'out of office until 2026-12-03T00:00:00+01:00' },
    ]);
    assert.equal(sut('2026-12-02T23:00:00Z')?.chosen_member, 'a');
  });
});

describe('when nobody is available', () => {
  const hours =
    'working_hours: { timezone: Europe/Berlin, days: [mon, tue, wed, thu, fri], start: "09:00", end: "17:30" }';

  it('holds the lead until the earliest member is back', () => {
    const compiled = queue('round_robin', ['a', 'b'], {
      a: hours,
      b: 'out_of_office: [ { start: "2026-11-27T00:00:00Z", end: "2026-12-01T00:00:00Z" } ]',
    });
    const sut = route(compiled, enrichedLeadFixture(), new Map(), SATURDAY_NOON_BERLIN);
    assert.equal(sut.kind, 'hold');
    assert.equal(
      sut.kind === 'hold' && new Date(sut.until).toISOString(),
      '2026-11-30T08:00:00.000Z',
    );
    assert.equal(sut.decision.owner_id, null);
    assert.deepEqual(sut.decision.distribution?.skipped, [
      {
        member: 'a',
        reason: 'outside working hours (mon,tue,wed,thu,fri 09:00-17:30 Europe/Berlin)',
      },
      { member: 'b', reason: 'out of office until 2026-12-01T00:00:00Z' },
    ]);
    assert.match(
      sut.decision.reason,
      /nobody in queue q can take the lead now, so it is held until 2026-11-30T08:00:00.000Z$/,
    );
  });

  it('holds until capacity frees up, when that comes first', () => {
    const run = new QueueRun(
      queue('round_robin', ['a'], { a: 'capacity: { max: 2, window: 1h }' }),
    );
    run.many(2, (i) => i * 60_000);
    const sut = run.next(5 * 60_000);
    assert.equal(sut.kind === 'hold' && sut.until, HOUR);
  });

  it('overflows to the named queue, recording the queues and skips on the way', () => {
    const compiled = queueRules(`  q:
    method: round_robin
    when_unavailable: { overflow: backup }
    members:
${members(['a'], { a: hours })}
  backup:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: z, owners: { crm: SF-z } }`);
    const sut = routed(route(compiled, enrichedLeadFixture(), new Map(), SATURDAY_NOON_BERLIN));
    assert.equal(sut.decision.queue, 'backup');
    assert.equal(sut.decision.owner_id, 'SF-z');
    assert.deepEqual(sut.decision.distribution?.overflowed_from, ['q']);
    assert.deepEqual(sut.decision.distribution?.skipped, [
      {
        member: 'a',
        reason: 'q: outside working hours (mon,tue,wed,thu,fri 09:00-17:30 Europe/Berlin)',
      },
    ]);
    assert.deepEqual(
      sut.stateUpdates.map((u) => [u.queue, u.state.position]),
      [
        ['q', 0],
        ['backup', 1],
      ],
    );
  });
});

describe('fairness', () => {
  const away = (member: string) => ({
    [member]: 'out_of_office: [ { start: "1970-01-01T00:00:00Z", end: "1970-01-01T01:00:00Z" } ]',
  });
  /** 30 leads while `c` is away (first hour), then 30 after. */
  const times = (i: number) => (i < 30 ? i * 60_000 : HOUR + (i - 30) * 60_000);

  for (const method of ['round_robin', 'load_balanced']) {
    it(`${method}: a member back from time off gets its turn, not a catch-up burst`, () => {
      const sut = new QueueRun(queue(method, ['a', 'b', 'c'], away('c')));
      const chosen = sut.many(60, times);
      assert.deepEqual(tally(chosen.slice(0, 30)), { a: 15, b: 15 });
      const after = chosen.slice(30);
      for (let round = 0; round < 30; round += 3) {
        assert.deepEqual(
          tally(after.slice(round, round + 3)),
          { a: 1, b: 1, c: 1 },
          after.join(''),
        );
      }
    });
  }

  it('weighted: a member back from time off keeps its share, not a catch-up burst', () => {
    const sut = new QueueRun(
      queue('weighted', ['a', 'b'], { a: 'weight: 7', b: `weight: 3, ${away('b')['b']}` }),
    );
    const chosen = sut.many(80, (i) => (i < 50 ? i * 60_000 : HOUR + i * 60_000));
    assert.deepEqual(tally(chosen.slice(0, 50)), { a: 50 });
    const after = chosen.slice(50);
    for (let start = 0; start + 10 <= after.length; start++) {
      const b = after.slice(start, start + 10).filter((m) => m === 'b').length;
      assert.ok(b >= 2 && b <= 4, `b got ${b} of 10 from ${start}: ${after.join('')}`);
    }
  });

  it('adding a member does not reset anyone else’s place in the rotation', () => {
    const sut = new QueueRun(queue('round_robin', ['a', 'b', 'c']));
    assert.deepEqual(sut.many(4), ['a', 'b', 'c', 'a']);
    sut.use(queue('round_robin', ['d', 'a', 'b', 'c']));
    // b and c were waiting; the newcomer joins at the end of the round, before a.
    assert.deepEqual(sut.many(8), ['b', 'c', 'd', 'a', 'b', 'c', 'd', 'a']);
  });

  it('removing a member does not reset anyone else’s place in the rotation', () => {
    const sut = new QueueRun(queue('round_robin', ['a', 'b', 'c', 'd']));
    assert.deepEqual(sut.many(2), ['a', 'b']);
    sut.use(queue('round_robin', ['b', 'c', 'd']));
    assert.deepEqual(sut.many(4), ['c', 'd', 'b', 'c']);
    assert.deepEqual(Object.keys(sut.states.get('q')?.members ?? {}).sort(), ['b', 'c', 'd']);
  });

  it('weighted: removing a member keeps the others’ running weights', () => {
    const sut = new QueueRun(
      queue('weighted', ['a', 'b', 'c'], { a: 'weight: 5', b: 'weight: 3' }),
    );
    sut.many(5);
    const before = sut.states.get('q')?.members;
    sut.use(queue('weighted', ['a', 'b'], { a: 'weight: 5', b: 'weight: 3' }));
    const after = routed(sut.next(0)).stateUpdates[0]?.state.members;
    const aBefore = before?.['a']?.current ?? 0;
    const bBefore = before?.['b']?.current ?? 0;
    assert.deepEqual(
      [after?.['a']?.current, after?.['b']?.current].sort(),
      [
        aBefore + 5 - (aBefore + 5 >= bBefore + 3 ? 8 : 0),
        bBefore + 3 - (aBefore + 5 >= bBefore + 3 ? 0 : 8),
      ].sort(),
    );
  });
});

describe('queue state', () => {
  it('stays small and JSON-serializable however many leads pass', () => {
    const sut = new QueueRun(
      queue('load_balanced', ['a', 'b', 'c'], { a: 'capacity: { max: 5, window: 1h }' }),
    );
    sut.many(10_000, (i) => i * 20_000);
    const state = sut.states.get('q') as QueueState;
    assert.deepEqual(JSON.parse(JSON.stringify(state)), state);
    assert.ok((state.members['a']?.recent.length ?? 0) <= 5);
    for (const member of Object.values(state.members)) assert.ok(member.load.length <= 49);
    assert.ok(JSON.stringify(state).length < 4_000, `${JSON.stringify(state).length} bytes`);
  });
});

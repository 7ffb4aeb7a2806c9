import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import { AccountOwnerStrategy } from './account-owner.strategy';
import { route } from './lead.router';
import { LoadBalancedStrategy } from './load-balanced.strategy';
import {
  deepFreeze,
  memberState,
  members,
  queueMembers,
  queueRules,
  routed,
} from './queue.fixture';
import { RoundRobinStrategy } from './round-robin.strategy';

describe('account_owner', () => {
  const compiled = queueRules(
    `  q:
    method: account_owner
    otherwise: round_robin
    when_unavailable: { hold: true }
    members:
${members(['a', 'b', 'c'], { b: 'out_of_office: [ { start: "2026-12-01T00:00:00Z", end: "2026-12-08T00:00:00Z" } ]' })}`,
  );
  const withOwner = (owner: string) =>
    enrichedLeadFixture({ lead: { attributes: { account_owner: owner } } });
  const sut = (owner: string, now = 0) => routed(route(compiled, withOwner(owner), new Map(), now));

  it('gives the lead to the account owner, named by member id or by owner id', () => {
    assert.equal(sut('c').decision.distribution?.chosen_member, 'c');
    assert.equal(sut('SF-b').decision.distribution?.chosen_member, 'b');
    assert.equal(sut('SF-b').decision.distribution?.method, 'account_owner');
    assert.equal(sut('SF-b').decision.owner_id, 'SF-b');
  });

  it('falls back to the base method when the owner is unavailable or not in the queue', () => {
    const away = sut('b', Date.parse('2026-12-02T00:00:00Z')).decision.distribution;
    assert.equal(away?.method, 'round_robin');
    assert.equal(away?.chosen_member, 'a');
    assert.deepEqual(away?.skipped, [
      { member: 'b', reason: 'out of office until 2026-12-08T00:00:00Z' },
    ]);
    const stranger = sut('SF-zed').decision.distribution;
    assert.equal(stranger?.chosen_member, 'a');
    assert.deepEqual(stranger?.skipped, [
      { member: 'SF-zed', reason: 'account owner is not a member of queue q' },
    ]);
    assert.equal(
      routed(route(compiled, enrichedLeadFixture(), new Map(), 0)).decision.distribution?.method,
      'round_robin',
    );
  });

  it('reads the owner from the path the queue names', () => {
    const custom = queueRules(
      `  q:\n    method: account_owner\n    account_owner_path: lead.company\n    otherwise: weighted\n    when_unavailable: { hold: true }\n    members:\n${members(['a', 'b'])}`,
    );
    const lead = enrichedLeadFixture({ lead: { company: 'SF-b' } });
    assert.equal(
      routed(route(custom, lead, new Map(), 0)).decision.distribution?.chosen_member,
      'b',
    );
  });
});

describe('AccountOwnerStrategy', () => {
  const all = queueMembers(
    queueRules(
      `  q:\n    method: account_owner\n    when_unavailable: { hold: true }\n    members:\n${members(['a', 'b', 'c'])}`,
    ),
  );
  const sut = new AccountOwnerStrategy(
    'q',
    all,
    'lead.attributes.account_owner',
    new RoundRobinStrategy(),
  );
  const [a, , c] = all;
  /** b cannot take a lead now; a was served longest ago. */
  const eligible = deepFreeze([
    { member: a!, state: memberState({ last: 1 }) },
    { member: c!, state: memberState({ last: 2 }) },
  ]);
  const withOwner = (owner: string) =>
    enrichedLeadFixture({ lead: { attributes: { account_owner: owner } } });

  it('picks the owner when it can take the lead', () => {
    assert.deepEqual(sut.pick(eligible, withOwner('SF-c'), 0), {
      chosen: eligible[1],
      method: 'account_owner',
    });
  });

  it('leaves an owner who cannot take the lead now to the fallback, recording no skip', () => {
    assert.deepEqual(sut.pick(eligible, withOwner('b'), 0), {
      chosen: eligible[0],
      method: 'round_robin',
    });
  });

  it('records an owner who is not in the queue as skipped, then lets the fallback pick', () => {
    assert.deepEqual(sut.pick(eligible, withOwner('SF-zed'), 0), {
      chosen: eligible[0],
      method: 'round_robin',
      skipped: [{ member: 'SF-zed', reason: 'account owner is not a member of queue q' }],
    });
  });

  it('keeps the load its fallback keeps', () => {
    assert.deepEqual(sut.loadAfterLead([[0, 3]], 1_000), []);
    const balanced = new AccountOwnerStrategy(
      'q',
      all,
      'x',
      new LoadBalancedStrategy(48 * 3_600_000),
    );
    assert.deepEqual(balanced.loadAfterLead([], 1_000), [[0, 1]]);
  });
});

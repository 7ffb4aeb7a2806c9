import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import { route, type RouteResult } from './lead.router';
import type { QueueState } from './queue.state';
import { compileRuleSet } from './rules.compiler';
import { parseRuleSet } from './rules.parser';
import { DEFAULT_RULES } from './routing.fixture';

function compiled(yamlText = DEFAULT_RULES) {
  const parsed = parseRuleSet(yamlText);
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.error));
  return compileRuleSet(parsed.value);
}

const none: ReadonlyMap<string, QueueState> = new Map();

function routed(result: RouteResult) {
  if (result.kind !== 'routed') assert.fail(`expected a routed lead, got ${result.kind}`);
  return result;
}

describe('route', () => {
  const sut = route;
  const rules = compiled();

  it('routes by the first matching rule, with its trace, reason and round robin', () => {
    const state: QueueState = {
      position: 3,
      members: {
        alice: { last: 2, current: 0, recent: [], load: [], away: false },
        bob: { last: 1, current: 0, recent: [], load: [], away: false },
      },
    };
    const result = sut(rules, enrichedLeadFixture(), new Map([['sales', state]]), 9_000);
    assert.deepEqual(result, {
      kind: 'routed',
      decision: {
        rule_set_id: 'default',
        rule_set_version: '2026-11-25.1',
        matched_rule: 'enterprise-emea',
        fallback: false,
        reason:
          'segment emea (lead.country "DE" in ["DE","FR","GB"]) and enrichment.free_mail false eq false',
        queue: 'sales',
        owner_id: '005B2',
        distribution: {
          method: 'round_robin',
          position: 3,
          members: ['alice', 'bob'],
          chosen_member: 'bob',
          skipped: [],
          weights: {},
          loads: {},
          overflowed_from: [],
        },
        evaluated: [
          {
            rule: 'enterprise-emea',
            matched: true,
            conditions: [
              {
                path: 'lead.country',
                op: 'in',
                expected: '["DE","FR","GB"]',
                actual: '"DE"',
                result: true,
              },
              {
                path: 'enrichment.free_mail',
                op: 'eq',
                expected: 'false',
                actual: 'false',
                result: true,
              },
            ],
          },
        ],
        decided_at: 9_000,
      },
      destinations: [
        {
          id: 'demo-inbox',
          type: 'webhook',
          url: 'http://localhost:8090/inbox',
          owner_id: '005B2',
        },
        { id: 'crm', type: 'salesforce', url: null, owner_id: 'SF-B' },
      ],
      fallbacks: {},
      stateUpdates: [
        {
          queue: 'sales',
          state: {
            position: 4,
            members: {
              alice: { last: 2, current: 0, recent: [], load: [], away: false },
              bob: { last: 3, current: 0, recent: [], load: [], away: false },
            },
          },
        },
      ],
    });
    assert.equal(state.position, 3, 'the given state is not mutated');
  });

  it('rotates through the queue as the caller stores the new state', () => {
    const states = new Map<string, QueueState>();
    const chosen: string[] = [];
    for (let i = 0; i < 5; i++) {
      const result = routed(sut(rules, enrichedLeadFixture(), states, 0));
      chosen.push(result.decision.distribution?.chosen_member ?? '?');
      for (const update of result.stateUpdates) states.set(update.queue, update.state);
    }
    assert.deepEqual(chosen, ['alice', 'bob', 'alice', 'bob', 'alice']);
    assert.equal(states.get('sales')?.position, 5);
  });

  it('routes to a fixed owner with no distribution and nothing to advance', () => {
    const lead = enrichedLeadFixture({ lead: { country: 'US', attributes: { tier: 'vip' } } });
    const result = routed(sut(rules, lead, none, 0));
    assert.equal(result.decision.matched_rule, 'vip');
    assert.equal(result.decision.queue, null);
    assert.equal(result.decision.owner_id, '005VIP');
    assert.equal(result.decision.distribution, null);
    assert.deepEqual(result.stateUpdates, []);
    assert.equal(result.decision.reason, 'lead.attributes.tier "vip" eq "vip"');
    assert.deepEqual(result.destinations, [
      { id: 'demo-inbox', type: 'webhook', url: 'http://localhost:8090/inbox', owner_id: '005VIP' },
    ]);
    assert.deepEqual(
      result.decision.evaluated.map((e) => [e.rule, e.matched, e.conditions.length]),
      [
        ['enterprise-emea', false, 1],
        ['vip', true, 1],
      ],
    );
  });

  it('falls back when no rule matches, listing every rule evaluated', () => {
    const lead = enrichedLeadFixture({ lead: { country: 'DE' }, enrichment: { free_mail: true } });
    const result = routed(sut(rules, lead, none, 0));
    assert.equal(result.decision.fallback, true);
    assert.equal(result.decision.matched_rule, 'fallback');
    assert.equal(
      result.decision.reason,
      'none of the 2 rules matched, so the fallback routed the lead',
    );
    assert.equal(result.decision.owner_id, '005A1');
    assert.deepEqual(
      result.decision.evaluated.map((e) => e.conditions.map((c) => `${c.path}=${c.result}`)),
      [['lead.country=true', 'enrichment.free_mail=false'], ['lead.attributes.tier=false']],
    );
    assert.deepEqual(
      result.destinations.map((d) => d.id),
      ['demo-inbox'],
    );
    assert.deepEqual(
      result.stateUpdates.map((u) => [u.queue, u.state.position]),
      [['sales', 1]],
    );
  });

  it('resolves each destination’s fallback chain with the chosen member’s owner in every link', () => {
    const rs = compiled(`id: chain
version: "1"
destinations:
  sf: { type: salesforce, fallback: hub }
  hub: { type: hubspot, fallback: inbox }
  inbox: { type: webhook, url: "https://hooks.example.com/in" }
queues:
  q:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: kai, owners: { sf: 005KAI, hub: "101", inbox: kai@inbox } }
      - { id: lia, owners: { sf: 005LIA, hub: "102", inbox: lia@inbox } }
fallback:
  queue: q
  destinations: [sf]
`);
    const first = routed(sut(rs, enrichedLeadFixture(), none, 0));
    assert.deepEqual(first.destinations, [
      { id: 'sf', type: 'salesforce', url: null, owner_id: '005KAI' },
    ]);
    assert.deepEqual(first.fallbacks, {
      sf: { id: 'hub', type: 'hubspot', url: null, owner_id: '101' },
      hub: {
        id: 'inbox',
        type: 'webhook',
        url: 'https://hooks.example.com/in',
        owner_id: 'kai@inbox',
      },
    });
    const state = first.stateUpdates[0]!.state;
    const second = routed(sut(rs, enrichedLeadFixture(), new Map([['q', state]]), 1));
    assert.equal(second.fallbacks['sf']?.owner_id, '102', 'the next member’s owner there');
  });

  it('evaluates any, not and nested segments to any depth', () => {
    const yamlText = DEFAULT_RULES.replace(
      'segments:\n',
      'segments:\n  cxo: { any: [ { path: lead.job_title, starts_with: chief }, { path: lead.job_title, matches: "(?i)^c.o$" } ] }\n  senior-emea: { all: [ { segment: emea }, { segment: cxo } ] }\n',
    ).replace(
      '{ all: [ { segment: emea }, { path: enrichment.free_mail, eq: false } ] }',
      '{ all: [ { segment: senior-emea }, { not: { path: lead.email, ends_with: "@competitor.com" } } ] }',
    );
    const rs = compiled(yamlText);
    const hit = sut(
      rs,
      enrichedLeadFixture({ lead: { job_title: 'CTO', country: 'FR' } }),
      none,
      0,
    );
    assert.equal(hit.decision.matched_rule, 'enterprise-emea');
    assert.equal(
      hit.decision.reason,
      'segment senior-emea (segment emea (lead.country "FR" in ["DE","FR","GB"]) and segment cxo (lead.job_title "CTO" matches "(?i)^c.o$")) and not (lead.email "ada@analytical-engines.com" ends_with "@competitor.com")',
    );
    const competitor = enrichedLeadFixture({
      lead: { job_title: 'CTO', email: 'x@competitor.com' },
    });
    assert.equal(sut(rs, competitor, none, 0).decision.fallback, true);
    const junior = enrichedLeadFixture({ lead: { job_title: 'Engineer' } });
    const trace = sut(rs, junior, none, 0).decision.evaluated[0]?.conditions ?? [];
    assert.deepEqual(
      trace.map((c) => [c.path, c.op, c.result]),
      [
        ['lead.country', 'in', true],
        ['lead.job_title', 'starts_with', false],
        ['lead.job_title', 'matches', false],
      ],
    );
  });

  it('reports a missing path as null', () => {
    const lead = enrichedLeadFixture({ lead: { attributes: {} } });
    const trace = sut(rules, { ...lead, lead: { ...lead.lead, country: null } }, none, 0).decision
      .evaluated[1]?.conditions[0];
    assert.deepEqual(trace, {
      path: 'lead.attributes.tier',
      op: 'eq',
      expected: '"vip"',
      actual: 'null',
      result: false,
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { diffRuleSets, formatDiff } from './rules.diff';
import { parseRuleSet } from './rules.parser';
import type { RuleSet } from './rules.schema';
import { DEFAULT_RULES } from './routing.fixture';

function ruleSet(yamlText: string): RuleSet {
  const parsed = parseRuleSet(yamlText);
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.error));
  return parsed.value;
}

describe('diffRuleSets', () => {
  const sut = diffRuleSets;
  const base = ruleSet(DEFAULT_RULES);

  it('finds nothing between a rule set and itself', () => {
    assert.deepEqual(sut(base, base), []);
    assert.equal(formatDiff([]), 'No changes.');
  });

  it('reports rules added, removed, changed and reordered, queues, members and the fallback', () => {
    const next = ruleSet(
      DEFAULT_RULES.replace('version: "2026-11-25.1"', 'version: "2026-11-26.1"')
        .replace(
          / {2}- name: enterprise-emea\n([\s\S]*?) {2}- name: vip\n {4}when: \{ path: lead.attributes.tier, eq: vip \}\n {4}owner: "005VIP"\n {4}destinations: \[demo-inbox\]\n/,
          '  - name: vip\n    when: { path: lead.attributes.tier, in: [vip, vvip] }\n    owner: "005VIP"\n    destinations: [demo-inbox]\n  - name: enterprise-emea\n$1  - name: partners\n    when: { path: lead.source, eq: partner }\n    owner: "005P"\n    destinations: [demo-inbox]\n',
        )
        .replace('method: round_robin', 'method: weighted')
        .replace(
          '{ id: bob, owners: { demo-inbox: "005B2", crm: "SF-B" } }',
          '{ id: bob, owners: { demo-inbox: "005B2", crm: "SF-B" }, weight: 3 }\n      - { id: carol, owners: { demo-inbox: "005C3", crm: "SF-C" } }',
        )
        .replace(
          'fallback:\n  queue: sales\n  destinations: [demo-inbox]',
          'fallback:\n  owner: "005A1"\n  destinations: [demo-inbox]',
        ),
    );
    const changes = sut(base, next);
    assert.equal(
      formatDiff(changes),
      [
        'Version 2026-11-25.1 -> 2026-11-26.1.',
        'Rule "partners" added at position 3.',
        'Rule "vip" changed: its condition.',
        'Rule "enterprise-emea" moved from position 1 to 2, so it is now checked later.',
        'Fallback changed: owner, queue.',
        'Queue "sales" changed: method.',
        'Queue "sales": member "carol" added.',
        'Queue "sales": member "bob" changed: weight.',
      ].join('\n'),
    );
  });

  it('reports removed rules and changed segments', () => {
    const next = ruleSet(
      DEFAULT_RULES.replace('in: [DE, FR, GB]', 'in: [DE, FR, GB, IT]').replace(
        / {2}- name: vip\n[\s\S]*?destinations: \[demo-inbox\]\n/,
        '',
      ),
    );
    assert.deepEqual(sut(base, next), [
      { kind: 'rule-removed', rule: 'vip', position: 2 },
      { kind: 'segment-changed', segment: 'emea' },
    ]);
  });
});

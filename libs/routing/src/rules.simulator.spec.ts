import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import { compileRuleSet } from './rules.compiler';
import { parseRuleSet } from './rules.parser';
import { DEFAULT_RULES } from './routing.fixture';
import { formatSimulation, simulate } from './rules.simulator';

function compiled(yamlText: string) {
  const parsed = parseRuleSet(yamlText);
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.error));
  return compileRuleSet(parsed.value);
}

function leads() {
  const countries = ['DE', 'US', 'FR', 'US', 'GB', 'JP'];
  return countries.map((country, i) =>
    enrichedLeadFixture({ lead: { lead_id: `lead-${i}`, country, received_at: i * 1_000 } }),
  );
}

describe('simulate', () => {
  const baseline = compiled(DEFAULT_RULES);

  it('reports no change for the same rules', () => {
    const sut = simulate(baseline, baseline, leads());
    assert.equal(sut.leads, 6);
    assert.equal(sut.changedQueue, 0);
    assert.equal(sut.changedOwner, 0);
    assert.equal(sut.unchanged, 6);
  });

  it('counts leads that change queue or owner, per rule and per member, with samples', () => {
    const candidate = compiled(
      DEFAULT_RULES.replace('version: "2026-11-25.1"', 'version: "2026-11-26.1"')
        .replace(
          'queues:\n',
          'queues:\n  us:\n    method: round_robin\n    when_unavailable: { hold: true }\n    members:\n      - { id: uma, owners: { demo-inbox: "005U", crm: "SF-U" } }\n',
        )
        .replace(
          'rules:\n',
          'rules:\n  - name: us\n    when: { path: lead.country, eq: US }\n    queue: us\n    destinations: [demo-inbox]\n',
        ),
    );
    const sut = simulate(candidate, baseline, leads());
    assert.equal(sut.changedQueue, 2);
    // The US leads leave the sales rotation, so the later sales leads go to other members too.
    assert.equal(sut.changedOwner, 3);
    assert.deepEqual(sut.queueMoves, [
      { from: 'sales', to: 'us', leads: 2, samples: ['lead-1', 'lead-3'] },
    ]);
    assert.deepEqual(
      sut.byRule.map((r) => [r.rule, r.baseline, r.candidate, r.changedQueue, r.changedOwner]),
      [
        ['us', 0, 2, 2, 2],
        ['enterprise-emea', 3, 3, 0, 1],
        ['fallback', 3, 1, 0, 0],
      ],
    );
    const uma = sut.byMember.find((m) => m.assignee === 'us/uma');
    assert.deepEqual(uma, {
      assignee: 'us/uma',
      baseline: 0,
      candidate: 2,
      gained: 2,
      lost: 0,
      samples: ['lead-1', 'lead-3'],
    });
    const text = formatSimulation(sut);
    assert.match(
      text,
      /^Simulated 6 leads: candidate default 2026-11-26.1 against default 2026-11-25.1\./,
    );
    assert.match(
      text,
      /2 \(33\.3%\) would go to another queue, 3 \(50\.0%\) to another owner; 3 unchanged\./,
    );
    assert.match(text, / {2}sales -> us: 2 e\.g\. lead-1, lead-3/);
    assert.match(text, / {2}us\/uma: 0 -> 2; \+2 \/ -0 e\.g\. lead-1, lead-3/);
  });
});

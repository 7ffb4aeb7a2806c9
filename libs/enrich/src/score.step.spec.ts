import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import { ScoreRulesError, parseScoreRules } from './score.rules';
import { ScoreStep } from './score.step';

const rulesYaml = `
rules:
  - name: business_email
    points: 10
    when: { path: enrichment.free_mail, eq: false }
  - name: emea
    points: 5
    when: { path: lead.country, in: [DE, FR, GB] }
  - name: mid_market
    points: 20
    when:
      all:
        - { path: enrichment.firmographics.employees, gte: 200 }
        - { path: enrichment.firmographics.employees, lt: 5000 }
  - name: role_address
    points: -15
    when: { path: enrichment.role_address, eq: true }
`;

describe('parseScoreRules', () => {
  it('reads named rules with points and routing conditions', () => {
    const rules = parseScoreRules(rulesYaml);
    assert.deepEqual(
      rules.map((r) => [r.name, r.points]),
      [
        ['business_email', 10],
        ['emea', 5],
        ['mid_market', 20],
        ['role_address', -15],
      ],
    );
  });

  it('lists every problem at once: a bad condition, points that are not a number, a name twice', () => {
    assert.throws(
      () =>
        parseScoreRules(`
rules:
  - { name: a, points: ten, when: { path: lead.country, eq: DE } }
  - { name: b, points: 1, when: { path: lead.country, equals: DE } }
`),
      (error: ScoreRulesError) => {
        const paths = error.issues.map((issue) => issue.split(':')[0]);
        assert.deepEqual([...new Set(paths)], ['rules.0.points', 'rules.1.when'], error.message);
        return true;
      },
    );
    assert.throws(
      () =>
        parseScoreRules(`
rules:
  - { name: a, points: 1, when: { path: lead.country, eq: DE } }
  - { name: a, points: 2, when: { path: lead.country, eq: FR } }
`),
      /"a" is named twice/,
    );
  });
});

describe('ScoreStep', () => {
  const sut = new ScoreStep(parseScoreRules(rulesYaml));

  it('adds the points of every condition met and names them in order', () => {
    const lead = enrichedLeadFixture({
      lead: { country: 'DE' },
      enrichment: {
        free_mail: false,
        firmographics: {
          provider: 'http',
          company_name: 'Analytical Engines',
          employees: 1200,
          company_size: '1001-5000',
          industry: 'Software',
          annual_revenue: null,
        },
      },
    });
    assert.deepEqual(sut.run(lead), {
      status: 'ok',
      patch: {
        score: 35,
        score_points: [
          { condition: 'business_email', points: 10 },
          { condition: 'emea', points: 5 },
          { condition: 'mid_market', points: 20 },
        ],
      },
    });
  });

  it('takes points away, and a missing firmographics record meets no condition on it', () => {
    const lead = enrichedLeadFixture({
      lead: { country: 'US' },
      enrichment: { free_mail: true, role_address: true, firmographics: null },
    });
    assert.deepEqual(sut.run(lead).patch, {
      score: -15,
      score_points: [{ condition: 'role_address', points: -15 }],
    });
  });
});

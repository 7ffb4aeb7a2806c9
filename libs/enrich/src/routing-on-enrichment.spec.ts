import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRuleSet, parseRuleSet, route } from '@lead-router/routing';
import { enrichedLeadFixture } from '@lead-router/testing';

// Routing rules read what enrichment adds, with the same paths the score rules use.
const rules = `
id: enrichment-paths
version: "1"
destinations:
  crm: { type: webhook, url: "https://crm.example.com/leads" }
queues:
  hot: { method: round_robin, when_unavailable: { hold: true }, members: [{ id: ana, owners: { crm: "u-ana" } }] }
  review: { method: round_robin, when_unavailable: { hold: true }, members: [{ id: ben, owners: { crm: "u-ben" } }] }
  rest: { method: round_robin, when_unavailable: { hold: true }, members: [{ id: cai, owners: { crm: "u-cai" } }] }
rules:
  - name: unverified
    when:
      any:
        - { path: enrichment.disposable, eq: true }
        - { path: enrichment.enrichment_status.firmographics, in: [timeout, unavailable, circuit_open] }
    queue: review
    destinations: [crm]
  - name: hot
    when:
      all:
        - { path: enrichment.score, gte: 30 }
        - { path: enrichment.firmographics.company_size, in: ["1001-5000", "5001-10000"] }
        - { path: enrichment.ip_country, eq: DE }
    queue: hot
    destinations: [crm]
fallback: { queue: rest, destinations: [crm] }
`;

describe('routing on enrichment fields', () => {
  const parsed = parseRuleSet(rules);
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.error));
  const compiled = compileRuleSet(parsed.value);
  const ruleFor = (enrichment: Parameters<typeof enrichedLeadFixture>[0]) => {
    const result = route(compiled, enrichedLeadFixture(enrichment), new Map(), 9_000);
    if (result.kind !== 'routed') assert.fail(result.kind);
    return [result.decision.matched_rule, result.decision.reason];
  };
  const company = {
    provider: 'http',
    company_name: 'Analytical Engines',
    employees: 1200,
    company_size: '1001-5000',
    industry: 'Software',
    annual_revenue: null,
  };

  it('routes on the score, the firmographics and the IP country', () => {
    const [rule, reason] = ruleFor({
      enrichment: {
        score: 35,
        firmographics: company,
        ip_country: 'DE',
        enrichment_status: { firmographics: 'ok' },
      },
    });
    assert.equal(rule, 'hot');
    assert.match(reason ?? '', /enrichment\.score 35 gte 30/);
  });

  it("routes on a step's status: a lead the provider could not enrich goes to review", () => {
    const [rule, reason] = ruleFor({
      enrichment: { score: 35, enrichment_status: { firmographics: 'circuit_open' } },
    });
    assert.equal(rule, 'unverified');
    assert.match(reason ?? '', /enrichment\.enrichment_status\.firmographics "circuit_open"/);
  });

  it('does not match a missing firmographics record: the lead falls back', () => {
    const [rule] = ruleFor({ enrichment: { score: 35, firmographics: null, ip_country: 'DE' } });
    assert.equal(rule, 'fallback');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NormalizedLead } from '@lead-router/schemas';
import { enrichedLeadFixture } from '@lead-router/testing';
import { route } from './lead.router';
import { compileRuleSet } from './rules.compiler';
import { parseRuleSet } from './rules.parser';

// Rules on what the normalizer adds (issue 11), as docs/routing.md shows them.
const RULES = `id: normalized-fields
version: "2026-12-01.1"
destinations:
  inbox: { type: webhook, url: "http://localhost:8090/inbox" }
rules:
  - name: needs-review
    when: { path: lead.quality_flags, contains: invalid_phone }
    owner: review
    destinations: [inbox]
  - name: enterprise-software
    when:
      all:
        - { path: lead.company_size, in: ["1001-5000", "5001-10000", "10001+"] }
        - { path: lead.industry, eq: information }
    owner: enterprise
    destinations: [inbox]
  - name: bavaria
    when: { path: lead.subdivision, eq: DE-BY }
    owner: munich
    destinations: [inbox]
  - name: paid-search-mobile
    when:
      all:
        - { path: lead.utm.medium, eq: cpc }
        - { path: lead.phone_type, eq: mobile }
        - { path: lead.consent.marketing_consent, eq: true }
    owner: callback
    destinations: [inbox]
fallback:
  owner: everyone
  destinations: [inbox]
`;

function matchedRule(lead: Partial<NormalizedLead>): string {
  const parsed = parseRuleSet(RULES);
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.error));
  const result = route(compileRuleSet(parsed.value), enrichedLeadFixture({ lead }), new Map(), 1);
  if (result.kind !== 'routed') assert.fail(`expected a routed lead, got ${result.kind}`);
  return result.decision.matched_rule;
}

describe('rules on the normalized fields', () => {
  it('test a quality flag with contains', () => {
    assert.equal(
      matchedRule({ quality_flags: ['country_from_phone', 'invalid_phone'] }),
      'needs-review',
    );
    assert.equal(matchedRule({ quality_flags: ['country_from_phone'] }), 'fallback');
  });

  it('test the company size band and the industry', () => {
    assert.equal(
      matchedRule({ company_size: '1001-5000', industry: 'information' }),
      'enterprise-software',
    );
    assert.equal(matchedRule({ company_size: '51-200', industry: 'information' }), 'fallback');
  });

  it('test the subdivision', () => {
    assert.equal(matchedRule({ subdivision: 'DE-BY' }), 'bavaria');
  });

  it('read UTM parameters, the phone type and consent flags by name', () => {
    const lead = {
      utm: { medium: 'cpc' },
      phone_type: 'mobile',
      consent: { marketing_consent: true },
    };
    assert.equal(matchedRule(lead), 'paid-search-mobile');
    assert.equal(matchedRule({ ...lead, consent: { marketing_consent: false } }), 'fallback');
  });
});

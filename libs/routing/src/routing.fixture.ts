import type { EnrichedLead } from '@lead-router/schemas';

export const DEFAULT_RULES = `id: default
version: "2026-11-25.1"
destinations:
  demo-inbox: { type: webhook, url: "http://localhost:8090/inbox" }
  crm: { type: salesforce }
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { demo-inbox: "005A1", crm: "SF-A" } }
      - { id: bob, owners: { demo-inbox: "005B2", crm: "SF-B" } }
segments:
  emea: { any: [ { path: lead.country, in: [DE, FR, GB] } ] }
rules:
  - name: enterprise-emea
    when: { all: [ { segment: emea }, { path: enrichment.free_mail, eq: false } ] }
    queue: sales
    destinations: [demo-inbox, crm]
  - name: vip
    when: { path: lead.attributes.tier, eq: vip }
    owner: "005VIP"
    destinations: [demo-inbox]
fallback:
  queue: sales
  destinations: [demo-inbox]
`;

export function enrichedLead(
  lead: Partial<EnrichedLead['lead']> = {},
  enrichment: Partial<EnrichedLead['enrichment']> = {},
): EnrichedLead {
  return {
    lead: {
      lead_id: '7d1c9c1e-0f5e-4c55-9b8e-2d7f0c6f6a11',
      source: 'web-form',
      source_lead_id: null,
      channel: 'http',
      received_at: 1_000,
      normalized_at: 2_000,
      email: 'ada@analytical-engines.com',
      phone: null,
      phone_country: null,
      first_name: 'Ada',
      last_name: 'Lovelace',
      company: 'Analytical Engines',
      website: null,
      country: 'DE',
      job_title: 'Chief Technology Officer',
      message: null,
      attributes: {},
      issues: [],
      ...lead,
    },
    enrichment: {
      email_domain: 'analytical-engines.com',
      company_domain: 'analytical-engines.com',
      free_mail: false,
      enriched_at: 3_000,
      ...enrichment,
    },
  };
}

import type { Destination, RoutedLead } from '@lead-router/schemas';

/** A routed lead for specs: one webhook destination, round-robin to alice. */
export function routedLeadFixture(): RoutedLead {
  return {
    lead: {
      lead_id: '7d1c9c1e-0f5e-4c55-9b8e-2d7f0c6f6a11',
      source: 'web-form',
      source_lead_id: 'L-1',
      channel: 'http',
      received_at: Date.UTC(2026, 10, 25, 12, 0, 0),
      normalized_at: Date.UTC(2026, 10, 25, 12, 0, 0, 20),
      email: 'ada@analytical-engines.com',
      phone: '+49301234567',
      phone_country: 'DE',
      first_name: 'Ada',
      last_name: 'Lovelace',
      company: 'Analytical Engines',
      website: 'https://analytical-engines.com',
      country: 'DE',
      job_title: 'CTO',
      message: null,
      attributes: { utm_source: 'google' },
      issues: [],
    },
    enrichment: {
      email_domain: 'analytical-engines.com',
      company_domain: 'analytical-engines.com',
      free_mail: false,
      enriched_at: Date.UTC(2026, 10, 25, 12, 0, 0, 30),
    },
    decision: {
      rule_set_id: 'default',
      rule_set_version: '2026-11-25.1',
      matched_rule: 'enterprise-emea',
      fallback: false,
      reason: 'lead.country "DE" in ["DE","FR","GB"]',
      queue: 'sales',
      owner_id: '005A1',
      distribution: {
        method: 'round_robin',
        position: 4,
        members: ['alice', 'bob'],
        chosen_member: 'alice',
        skipped: [],
        weights: {},
        loads: {},
        overflowed_from: [],
      },
      evaluated: [],
      decided_at: Date.UTC(2026, 10, 25, 12, 0, 0, 40),
    },
    destinations: [destinationFixture()],
  };
}

export function destinationFixture(): Destination {
  return {
    id: 'demo-inbox',
    type: 'webhook',
    url: 'http://localhost:8090/inbox',
    owner_id: '005A1',
  };
}

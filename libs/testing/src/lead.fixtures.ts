import { randomUUID } from 'node:crypto';
import type { EnrichedLead, NormalizedLead, RawLead } from '@lead-router/schemas';

/** A RawLead with every field set; override what the test is about. */
export function rawLeadFixture(overrides: Partial<RawLead> = {}): RawLead {
  return {
    lead_id: randomUUID(),
    source: 'web-form',
    source_lead_id: null,
    channel: 'http',
    received_at: Date.now(),
    email: 'person@acme.io',
    phone: null,
    first_name: null,
    last_name: null,
    company: null,
    website: null,
    country: null,
    job_title: null,
    message: null,
    attributes: {},
    ...overrides,
  };
}

/** A business (or free-mail) lead from a country, captured at `at`, as the enricher emits it. */
export function enrichedLeadFixture(
  options: { id?: string; country?: string; freeMail?: boolean; at?: number } = {},
): EnrichedLead {
  const id = options.id ?? randomUUID();
  const at = options.at ?? Date.now();
  const domain = options.freeMail ? 'gmail.com' : 'acme.io';
  const lead: NormalizedLead = {
    ...rawLeadFixture({ lead_id: id, received_at: at, email: `${id.slice(0, 8)}@${domain}` }),
    company: 'Acme',
    country: options.country ?? 'DE',
    normalized_at: at,
    phone_country: null,
    issues: [],
  };
  return {
    lead,
    enrichment: {
      email_domain: domain,
      company_domain: options.freeMail ? null : domain,
      free_mail: options.freeMail ?? false,
      enriched_at: at,
    },
  };
}

import type {
  Destination,
  EnrichedLead,
  Enrichment,
  NormalizedLead,
  RawLead,
  RoutedLead,
  RoutingDecision,
} from '@lead-router/schemas';

// One lead, Ada Lovelace of Analytical Engines (Germany), at every stage of the pipeline. The
// defaults are fixed, so a spec is repeatable and two calls build equal records; a test that
// sends many leads through a broker gives each its own `lead_id`.

const RECEIVED_AT = Date.UTC(2026, 10, 25, 12, 0, 0);

/** Nested overrides: each part of the record replaces only the fields it names. */
export interface EnrichedLeadOverrides {
  lead?: Partial<NormalizedLead>;
  enrichment?: Partial<Enrichment>;
}

export interface RoutedLeadOverrides extends EnrichedLeadOverrides {
  decision?: Partial<RoutingDecision>;
  destinations?: Destination[];
  fallbacks?: Record<string, Destination>;
}

/** A RawLead as captured from a web form, every field clean; override what the test is about. */
export function rawLeadFixture(overrides: Partial<RawLead> = {}): RawLead {
  return {
    lead_id: '7d1c9c1e-0f5e-4c55-9b8e-2d7f0c6f6a11',
    source: 'web-form',
    source_lead_id: 'L-1',
    channel: 'http',
    received_at: RECEIVED_AT,
    email: 'ada@analytical-engines.com',
    phone: '+49301234567',
    first_name: 'Ada',
    last_name: 'Lovelace',
    company: 'Analytical Engines',
    website: 'https://analytical-engines.com',
    country: 'DE',
    job_title: 'CTO',
    message: null,
    attributes: { utm_source: 'google' },
    client_ip: null,
    ...overrides,
  };
}

/** The raw lead as the normalizer emits it: nothing to clean, so no issues. */
export function normalizedLeadFixture(overrides: Partial<NormalizedLead> = {}): NormalizedLead {
  return {
    ...rawLeadFixture(),
    normalized_at: RECEIVED_AT + 20,
    phone_country: 'DE',
    issues: [],
    phone_type: 'fixed_line',
    phone_extension: null,
    subdivision: null,
    company_domain: 'analytical-engines.com',
    company_size: null,
    industry: null,
    utm: { source: 'google' },
    consent: {},
    submitted_at: null,
    quality_flags: [],
    ...overrides,
  };
}

/** The normalized lead with what the enricher learns from its business email. */
export function enrichedLeadFixture(overrides: EnrichedLeadOverrides = {}): EnrichedLead {
  return {
    lead: normalizedLeadFixture(overrides.lead),
    enrichment: {
      email_domain: 'analytical-engines.com',
      company_domain: 'analytical-engines.com',
      free_mail: false,
      enriched_at: RECEIVED_AT + 30,
      disposable: false,
      role_address: false,
      ip_country: null,
      ip_region: null,
      firmographics: null,
      score: 0,
      score_points: [],
      enrichment_status: {},
      account: null,
      duplicate_of: null,
      duplicate_by: null,
      duplicate_owner: null,
      ...overrides.enrichment,
    },
  };
}

/** The enriched lead routed by rule enterprise-emea, round robin to alice, to one webhook. */
export function routedLeadFixture(overrides: RoutedLeadOverrides = {}): RoutedLead {
  return {
    ...enrichedLeadFixture(overrides),
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
      decided_at: RECEIVED_AT + 40,
      ...overrides.decision,
    },
    destinations: overrides.destinations ?? [destinationFixture()],
    fallbacks: overrides.fallbacks ?? {},
  };
}

/** The local demo inbox as a routed lead names it, with alice's owner id there. */
export function destinationFixture(overrides: Partial<Destination> = {}): Destination {
  return {
    id: 'demo-inbox',
    type: 'webhook',
    url: 'http://localhost:8090/inbox',
    owner_id: '005A1',
    ...overrides,
  };
}

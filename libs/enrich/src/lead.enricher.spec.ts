import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { NormalizedLead } from '@lead-router/schemas';
import { enrich } from './lead.enricher';

function lead(email: string | null, website: string | null): NormalizedLead {
  return {
    lead_id: '7d1c9c1e-0f5e-4c55-9b8e-2d7f0c6f6a11',
    source: 'web-form',
    source_lead_id: null,
    channel: 'http',
    received_at: 1_000,
    normalized_at: 2_000,
    email,
    phone: null,
    phone_country: null,
    first_name: null,
    last_name: null,
    company: null,
    website,
    country: null,
    job_title: null,
    message: null,
    attributes: {},
    issues: [],
  };
}

describe('enrich', () => {
  const sut = enrich;

  it('takes the company domain from a business email', () => {
    const input = lead('ada@analytical-engines.com', 'https://www.other.io');
    assert.deepEqual(sut(input, 3_000), {
      lead: input,
      enrichment: {
        email_domain: 'analytical-engines.com',
        company_domain: 'analytical-engines.com',
        free_mail: false,
        enriched_at: 3_000,
      },
    });
  });

  it('takes the company domain from the website when the email is free mail', () => {
    const { enrichment } = sut(
      lead('ada@gmail.com', 'https://www.analytical-engines.com/x'),
      3_000,
    );
    assert.deepEqual(enrichment, {
      email_domain: 'gmail.com',
      company_domain: 'analytical-engines.com',
      free_mail: true,
      enriched_at: 3_000,
    });
  });

  it('leaves everything null for a phone-only lead without a website', () => {
    const { enrichment } = sut(lead(null, null), 3_000);
    assert.deepEqual(enrichment, {
      email_domain: null,
      company_domain: null,
      free_mail: false,
      enriched_at: 3_000,
    });
  });
});

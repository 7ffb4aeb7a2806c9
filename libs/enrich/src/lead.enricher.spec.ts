import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizedLeadFixture } from '@lead-router/testing';
import { enrich } from './lead.enricher';

describe('enrich', () => {
  const sut = enrich;

  it('takes the company domain from a business email', () => {
    const input = normalizedLeadFixture({
      email: 'ada@analytical-engines.com',
      website: 'https://www.other.io',
    });
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
      normalizedLeadFixture({
        email: 'ada@gmail.com',
        website: 'https://www.analytical-engines.com/x',
      }),
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
    const { enrichment } = sut(normalizedLeadFixture({ email: null, website: null }), 3_000);
    assert.deepEqual(enrichment, {
      email_domain: null,
      company_domain: null,
      free_mail: false,
      enriched_at: 3_000,
    });
  });
});

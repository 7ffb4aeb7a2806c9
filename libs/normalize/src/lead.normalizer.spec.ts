import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { rawLeadFixture } from '@lead-router/testing';
import { normalize } from './lead.normalizer';

describe('normalize', () => {
  const sut = normalize;

  it('cleans every field and carries the rest over', () => {
    const result = sut(
      rawLeadFixture({
        received_at: 1_000,
        email: ' Ada@Example.COM',
        phone: '030 1234567',
        country: 'Germany',
        first_name: '  Ada ',
        last_name: 'King  Lovelace',
        company: ' Analytical   Engines ',
        website: 'Engines.example.com',
        job_title: '  ',
        message: 'Call  me',
      }),
      2_000,
    );
    assert.deepEqual(result, {
      ok: true,
      value: {
        lead_id: '7d1c9c1e-0f5e-4c55-9b8e-2d7f0c6f6a11',
        source: 'web-form',
        source_lead_id: 'L-1',
        channel: 'http',
        received_at: 1_000,
        normalized_at: 2_000,
        email: 'Ada@example.com',
        phone: '+49301234567',
        phone_country: 'DE',
        first_name: 'Ada',
        last_name: 'King Lovelace',
        company: 'Analytical Engines',
        website: 'https://engines.example.com',
        country: 'DE',
        job_title: null,
        message: 'Call me',
        attributes: { utm_source: 'google' },
        issues: [],
        phone_type: 'fixed_line',
        phone_extension: null,
        subdivision: null,
        company_domain: 'example.com',
        company_size: null,
        industry: null,
        utm: { source: 'google' },
        consent: {},
        submitted_at: null,
        quality_flags: [],
        client_ip: null,
      },
    });
  });

  it('drops unusable fields into issues without the raw values', () => {
    const result = sut(
      rawLeadFixture({
        email: 'ada@example.com',
        phone: 'ada-phone',
        country: 'Atlantis',
        website: 'a b',
      }),
      2_000,
    );
    assert.ok(result.ok);
    assert.equal(result.value.phone, null);
    assert.equal(result.value.country, null);
    assert.equal(result.value.website, null);
    assert.deepEqual(result.value.issues, [
      'phone: not a valid number (no country code)',
      'country: not a known country',
      'website: not a valid URL',
    ]);
    assert.deepEqual(result.value.quality_flags, [
      'invalid_phone',
      'unknown_country',
      'invalid_website',
    ]);
  });

  it('rejects a lead with neither a usable email nor phone, with every reason', () => {
    const result = sut(
      rawLeadFixture({ email: 'ada@@example', phone: '12', country: null }),
      2_000,
    );
    assert.deepEqual(result, {
      ok: false,
      error: [
        {
          field: 'email,phone',
          code: 'no_contact',
          message: 'neither a usable email nor a usable phone',
        },
        { field: 'email', code: 'invalid_email', message: 'email: not a valid address' },
        {
          field: 'phone',
          code: 'invalid_phone',
          message: 'phone: not a valid number (no country code)',
        },
      ],
    });
    assert.doesNotMatch(JSON.stringify(result), /ada@@example/);
  });
});

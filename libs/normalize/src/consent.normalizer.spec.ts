import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeConsent } from './consent.normalizer';

describe('normalizeConsent', () => {
  const sut = normalizeConsent;

  it('reads consent fields as booleans keyed in lower snake case, and ignores the rest', () => {
    assert.deepEqual(
      sut({ 'GDPR Consent': 'Yes', newsletterOptIn: 'off', utm_source: 'yes', opt_out: '1' }),
      { consent: { gdpr_consent: true, newsletter_opt_in: false, opt_out: true } },
    );
  });

  it('leaves out and flags a value that is neither yes nor no', () => {
    assert.deepEqual(sut({ marketing_consent: 'later', sms_consent: 'no' }), {
      consent: { sms_consent: false },
      issue: {
        field: 'consent',
        code: 'unreadable_consent',
        message: 'consent: a consent field is neither yes nor no',
      },
    });
  });
});

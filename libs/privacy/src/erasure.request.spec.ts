import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emailDigest } from './email.digest';
import { InvalidErasureRequestError, erasureRequestFor } from './erasure.request';

const now = Date.UTC(2026, 11, 1);

describe('erasureRequestFor', () => {
  it('names a lead by its id', () => {
    const sut = erasureRequestFor({ leadId: ' lead-1 ', reason: 'DSR-7', now });
    assert.deepEqual(sut, {
      subject_key: 'lead:lead-1',
      lead_id: 'lead-1',
      email_sha256: null,
      requested_at: now,
      requested_by: null,
      reason: 'DSR-7',
    });
  });

  it('names an email by its digest only', () => {
    const sut = erasureRequestFor({ email: 'Ada@Analytical-Engines.com', requestedBy: 'ops', now });
    const digest = emailDigest('Ada@analytical-engines.com')!;
    assert.deepEqual(sut, {
      subject_key: `email:${digest}`,
      lead_id: null,
      email_sha256: digest,
      requested_at: now,
      requested_by: 'ops',
      reason: null,
    });
    assert.ok(!JSON.stringify(sut).toLowerCase().includes('analytical'), 'no raw email');
  });

  it('refuses neither, both, a bad email and a blank lead id', () => {
    const codeOf = (input: Parameters<typeof erasureRequestFor>[0]) => {
      try {
        erasureRequestFor(input);
      } catch (err) {
        assert.ok(err instanceof InvalidErasureRequestError);
        return err.code;
      }
      return 'accepted';
    };
    assert.equal(codeOf({ now }), 'no_subject');
    assert.equal(codeOf({ email: 'a@x.io', leadId: 'l', now }), 'two_subjects');
    assert.equal(codeOf({ email: 'not-an-email', now }), 'invalid_email');
    assert.equal(codeOf({ email: 'ada@x.invalidtld', now }), 'invalid_email');
    assert.equal(codeOf({ leadId: '  ', now }), 'invalid_lead_id');
  });
});

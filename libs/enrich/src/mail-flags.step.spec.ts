import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import { MailFlagsStep, isDisposableDomain, isRoleLocalPart } from './mail-flags.step';

describe('isDisposableDomain', () => {
  it('knows throwaway providers, in any case, and not real ones', () => {
    assert.equal(isDisposableDomain('mailinator.com'), true);
    assert.equal(isDisposableDomain('Guerrillamail.com'), true);
    assert.equal(isDisposableDomain('gmail.com'), false);
    assert.equal(isDisposableDomain('siemens.de'), false);
  });
});

describe('isRoleLocalPart', () => {
  it('flags team and role mailboxes, a +tag included', () => {
    for (const local of ['info', 'Sales', 'support', 'sales+eu', 'noreply']) {
      assert.equal(isRoleLocalPart(local), true, local);
    }
  });

  it('does not flag people', () => {
    for (const local of ['ada', 'ada.lovelace', 'j.smith+news']) {
      assert.equal(isRoleLocalPart(local), false, local);
    }
  });
});

describe('MailFlagsStep', () => {
  const sut = new MailFlagsStep();
  const withEmail = (email: string | null) =>
    enrichedLeadFixture({
      lead: { email },
      enrichment: { email_domain: email === null ? null : (email.split('@')[1] ?? null) },
    });

  it('marks a role address at a disposable domain', () => {
    assert.deepEqual(sut.run(withEmail('info@mailinator.com')), {
      status: 'ok',
      patch: { disposable: true, role_address: true },
    });
  });

  it('marks nothing for a person at a company', () => {
    assert.deepEqual(sut.run(withEmail('ada@analytical-engines.com')), {
      status: 'ok',
      patch: { disposable: false, role_address: false },
    });
  });

  it('is skipped without an email', () => {
    assert.deepEqual(sut.run(withEmail(null)), { status: 'skipped' });
  });
});

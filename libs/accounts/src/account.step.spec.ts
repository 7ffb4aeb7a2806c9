import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture, normalizedLeadFixture } from '@lead-router/testing';
import { AccountIndex } from './account.index';
import { AccountStep, accountOwnerOf } from './account.step';

describe('AccountStep', () => {
  const accounts = new AccountIndex({ fuzzyMin: 0.85 });
  accounts.put({
    account_id: 'ACC-1',
    name: 'Acme Ltd.',
    domains: ['acme.co.uk'],
    owner_member_id: null,
    owner_ids: { salesforce: '005A1', hubspot: '77' },
    updated_at: 1,
  });
  const sut = new AccountStep(accounts);
  const lead = (
    fields: { email?: string | null; company?: string | null },
    enrichment: { email_domain?: string | null; company_domain?: string | null } = {},
  ) =>
    enrichedLeadFixture({
      lead: normalizedLeadFixture({ email: null, company: null, ...fields }),
      enrichment: { email_domain: null, company_domain: null, free_mail: false, ...enrichment },
    });

  it('matches the business email registrable domain and names the owner routing reads', () => {
    const result = sut.run(
      lead({ email: 'ada@mail.acme.co.uk' }, { email_domain: 'mail.acme.co.uk' }),
    );
    assert.deepEqual(result, {
      status: 'ok',
      patch: {
        account: {
          account_id: 'ACC-1',
          name: 'Acme Ltd.',
          method: 'domain',
          score: 1,
          owner: '77',
          owner_ids: { salesforce: '005A1', hubspot: '77' },
        },
      },
    });
  });

  it('falls back to the company name, and says when there is nothing to match by', () => {
    const byName = sut.run(lead({ company: 'ACME Limited' }, { company_domain: 'other.io' }));
    assert.equal(byName.status, 'ok');
    assert.equal(byName.patch?.account?.method, 'name_exact');
    assert.deepEqual(sut.run(lead({ company: 'Globex' })), { status: 'no_match' });
    assert.deepEqual(sut.run(lead({})), { status: 'skipped' });
  });
});

describe('accountOwnerOf', () => {
  it('is the member id when there is one', () => {
    const account = {
      account_id: 'A',
      name: 'A',
      domains: [],
      owner_member_id: 'alice',
      owner_ids: { crm: '005A1' },
      updated_at: 1,
    };
    assert.equal(accountOwnerOf(account), 'alice');
    assert.equal(accountOwnerOf({ ...account, owner_member_id: null }), '005A1');
    assert.equal(accountOwnerOf({ ...account, owner_member_id: null, owner_ids: {} }), null);
  });
});

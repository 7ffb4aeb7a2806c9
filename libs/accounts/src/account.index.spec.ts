import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Account } from '@lead-router/schemas';
import { AccountIndex, nameSimilarity } from './account.index';

const account = (overrides: Partial<Account> & Pick<Account, 'account_id' | 'name'>): Account => ({
  domains: [],
  owner_member_id: null,
  owner_ids: {},
  updated_at: 1_000,
  ...overrides,
});

describe('AccountIndex', () => {
  const build = (...accounts: Account[]) => {
    const sut = new AccountIndex({ fuzzyMin: 0.85 });
    for (const a of accounts) sut.put(a);
    return sut;
  };

  it('matches by domain before any name, the first of the lead domains that is known', () => {
    const sut = build(
      account({ account_id: 'A1', name: 'Acme', domains: ['acme.co.uk'] }),
      account({ account_id: 'A2', name: 'Globex', domains: ['globex.com'] }),
    );
    const found = sut.match({ domains: ['unknown.io', 'acme.co.uk'], company: 'Globex' });
    assert.deepEqual(
      { id: found?.account.account_id, method: found?.method, score: found?.score },
      { id: 'A1', method: 'domain', score: 1 },
    );
  });

  it('matches the normalized name exactly, then fuzzily above the threshold', () => {
    const sut = build(
      account({ account_id: 'A1', name: 'Müller Maschinenbau GmbH' }),
      account({ account_id: 'A2', name: 'Analytical Engines Ltd.' }),
    );
    const exact = sut.match({ domains: [], company: 'MULLER MASCHINENBAU' });
    assert.equal(exact?.account.account_id, 'A1');
    assert.equal(exact?.method, 'name_exact');
    const fuzzy = sut.match({ domains: [], company: 'Analytical Engine Inc.' });
    assert.equal(fuzzy?.account.account_id, 'A2');
    assert.equal(fuzzy?.method, 'name_fuzzy');
    assert.equal(fuzzy?.score, nameSimilarity('analytical engine', 'analytical engines'));
    assert.equal(sut.match({ domains: [], company: 'Analytic Machines' }), null, 'too far');
  });

  it('breaks ties by the most recently updated account, then by the lowest id', () => {
    const sut = build(
      account({ account_id: 'B', name: 'Acme', domains: ['acme.com'], updated_at: 5 }),
      account({ account_id: 'C', name: 'Acme', domains: ['acme.com'], updated_at: 9 }),
      account({ account_id: 'A', name: 'Acme', domains: ['acme.com'], updated_at: 9 }),
    );
    assert.equal(sut.match({ domains: ['acme.com'], company: null })?.account.account_id, 'A');
    assert.equal(sut.match({ domains: [], company: 'acme' })?.account.account_id, 'A');
  });

  it('prefers the higher fuzzy score over a more recent account', () => {
    const sut = build(
      account({ account_id: 'OLD', name: 'Initech Systems', updated_at: 1 }),
      account({ account_id: 'NEW', name: 'Initech Systemz Group', updated_at: 9 }),
    );
    assert.equal(sut.match({ domains: [], company: 'Initech Systemz' })?.account.account_id, 'OLD');
  });

  it('forgets a deleted account and the old domains of a replaced one', () => {
    const sut = build(account({ account_id: 'A1', name: 'Acme', domains: ['acme.com'] }));
    sut.put(account({ account_id: 'A1', name: 'Acme', domains: ['acme.io'] }));
    assert.equal(sut.match({ domains: ['acme.com'], company: null }), null);
    assert.equal(sut.match({ domains: ['acme.io'], company: null })?.account.account_id, 'A1');
    sut.delete('A1');
    assert.equal(sut.match({ domains: ['acme.io'], company: 'Acme' }), null);
    assert.equal(sut.size, 0);
  });

  it('compares by the distinctive words when a common word is shared by hundreds of accounts', () => {
    const many = Array.from({ length: 400 }, (_, i) =>
      account({ account_id: `S${i}`, name: `Global Systems ${i}` }),
    );
    const sut = build(...many, account({ account_id: 'INI', name: 'Initech Global Systems' }));
    const found = sut.match({ domains: [], company: 'Initeck Global Systems' });
    assert.equal(found?.account.account_id, 'INI');
    assert.equal(found?.method, 'name_fuzzy');
    const typoInEveryWord = sut.match({ domains: [], company: 'Global Systemz 17' });
    assert.equal(typoInEveryWord?.account.account_id, 'S17', 'found through its one rare word');
  });

  it('answers a repeated fuzzy query the same, and forgets it when accounts change', () => {
    const sut = build(account({ account_id: 'A1', name: 'Analytical Engines' }));
    assert.equal(
      sut.match({ domains: [], company: 'Analytical Engine' })?.account.account_id,
      'A1',
    );
    sut.put(account({ account_id: 'A2', name: 'Analytical Engine Co', updated_at: 9 }));
    const again = sut.match({ domains: [], company: 'Analytical Engine' });
    assert.deepEqual([again?.account.account_id, again?.method], ['A2', 'name_exact']);
    sut.delete('A2');
    sut.delete('A1');
    assert.equal(sut.match({ domains: [], company: 'Analytical Engine' }), null);
  });

  it('does not fuzzy-match short names', () => {
    const sut = build(account({ account_id: 'A1', name: 'IBM' }));
    assert.equal(sut.match({ domains: [], company: 'IBX' }), null);
    assert.equal(sut.match({ domains: [], company: 'I.B.M. Corp.' })?.method, 'name_exact');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { companyDomainOf } from './company-domain.normalizer';

describe('companyDomainOf', () => {
  const sut = companyDomainOf;

  it('takes the registrable domain by the public suffix list', () => {
    assert.deepEqual(sut(null, 'https://shop.acme.co.uk/x'), {
      domain: 'acme.co.uk',
      mismatch: false,
    });
    assert.deepEqual(sut('ada@mail.acme.co.jp', null), { domain: 'acme.co.jp', mismatch: false });
  });

  it('prefers a business email to the website and says when they differ', () => {
    assert.deepEqual(sut('ada@acme.io', 'https://other.io'), { domain: 'acme.io', mismatch: true });
  });

  it('never takes a free-mail provider for the company', () => {
    assert.deepEqual(sut('ada@gmail.com', null), { domain: null, mismatch: false });
    assert.deepEqual(sut('ada@gmx.de', 'https://acme.de'), { domain: 'acme.de', mismatch: false });
  });
});

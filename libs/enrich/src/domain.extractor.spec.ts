import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emailDomainOf, websiteDomainOf } from './domain.extractor';

describe('emailDomainOf', () => {
  const sut = emailDomainOf;

  it('returns the lower-cased part after the last @', () => {
    assert.equal(sut('ada@Analytical-Engines.com'), 'analytical-engines.com');
    assert.equal(sut('"a@b"@acme.io'), 'acme.io');
  });

  it('returns null without a domain', () => {
    assert.equal(sut(null), null);
    assert.equal(sut('ada@'), null);
    assert.equal(sut('ada'), null);
  });
});

describe('websiteDomainOf', () => {
  const sut = websiteDomainOf;

  it('returns the host without www.', () => {
    assert.equal(sut('https://www.Acme.io/about'), 'acme.io');
    assert.equal(sut('http://shop.acme.co.uk'), 'shop.acme.co.uk');
    assert.equal(sut('www.acme.io'), 'acme.io');
  });

  it('returns null for nothing usable', () => {
    assert.equal(sut(null), null);
    assert.equal(sut('https://'), null);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeEmail } from './email.normalizer';

describe('normalizeEmail', () => {
  const sut = normalizeEmail;

  it('trims and lower-cases the domain, keeping the local part as typed', () => {
    assert.deepEqual(sut('  Ada.Lovelace+Leads@Example.CO.uk '), {
      value: 'Ada.Lovelace+Leads@example.co.uk',
    });
  });

  it('writes an internationalized domain in punycode', () => {
    assert.deepEqual(sut('info@Bücher.de'), { value: 'info@xn--bcher-kva.de' });
  });

  it('treats null and blank as absent, without an issue', () => {
    assert.deepEqual(sut(null), { value: null });
    assert.deepEqual(sut('   '), { value: null });
  });

  for (const bad of [
    'ada lovelace@example.com',
    'ada.example.com',
    'ada@localhost',
    'ada@-x.com',
    'ada@gmail.con',
  ]) {
    it(`rejects ${JSON.stringify(bad)} without echoing it`, () => {
      const result = sut(bad);
      assert.equal(result.value, null);
      assert.deepEqual(result.issue, {
        field: 'email',
        code: 'invalid_email',
        message: 'email: not a valid address',
      });
    });
  }
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizePhone } from './phone.normalizer';

describe('normalizePhone', () => {
  const sut = normalizePhone;

  it('reads a national number in the lead country', () => {
    assert.deepEqual(sut('030 1234567', 'DE'), {
      value: { e164: '+49301234567', country: 'DE', type: 'fixed_line', extension: null },
    });
  });

  it('reads an international number whatever the lead country', () => {
    assert.deepEqual(sut('+44 20 7946 0958', 'FR'), {
      value: { e164: '+442079460958', country: 'GB', type: 'fixed_line', extension: null },
    });
  });

  it('records the type and keeps the extension apart', () => {
    assert.deepEqual(sut('0151 23456789 ext. 12', 'DE'), {
      value: { e164: '+4915123456789', country: 'DE', type: 'mobile', extension: '12' },
    });
  });

  it('reads a vanity number by the keypad letters', () => {
    assert.deepEqual(sut('1-800-FLOWERS', 'US'), {
      value: { e164: '+18003569377', country: 'US', type: 'toll_free', extension: null },
    });
  });

  it('treats blank as absent', () => {
    assert.deepEqual(sut('  ', 'DE'), { value: null });
    assert.deepEqual(sut(null, null), { value: null });
  });

  it('rejects a national number without a known country, saying why', () => {
    assert.deepEqual(sut('030 1234567', null), {
      value: null,
      issue: {
        field: 'phone',
        code: 'invalid_phone',
        message: 'phone: not a valid number (no country code)',
      },
    });
  });

  it('rejects numbers outside any valid range', () => {
    const result = sut('+49 12', 'DE');
    assert.equal(result.value, null);
    assert.equal(result.issue?.message, 'phone: not a valid number');
    assert.equal(sut('not a phone', 'DE').value, null);
  });
});

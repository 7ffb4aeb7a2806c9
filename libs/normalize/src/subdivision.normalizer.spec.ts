import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeSubdivision } from './subdivision.normalizer';

describe('normalizeSubdivision', () => {
  const sut = normalizeSubdivision;

  it('reads a full code, a code within the country and an ISO name', () => {
    assert.deepEqual(sut('us-ca', 'US'), { value: 'US-CA' });
    assert.deepEqual(sut('NSW', 'AU'), { value: 'AU-NSW' });
    assert.deepEqual(sut('ile de france', 'FR'), { value: 'FR-IDF' });
  });

  it('reads only a full code when the country is not known', () => {
    assert.deepEqual(sut('US-WA', null), { value: 'US-WA' });
    assert.equal(sut('WA', null).value, null);
  });

  it('refuses a code of another country, saying why', () => {
    assert.deepEqual(sut('US-CA', 'DE'), {
      value: null,
      issue: {
        field: 'subdivision',
        code: 'unknown_subdivision',
        message: 'subdivision: not a known subdivision of the country',
      },
    });
  });

  it('treats blank and placeholders as absent', () => {
    assert.deepEqual(sut(' ', 'US'), { value: null });
    assert.deepEqual(sut('N/A', 'US'), { value: null });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { INDUSTRIES, normalizeIndustry } from './industry.normalizer';

describe('normalizeIndustry', () => {
  const sut = normalizeIndustry;

  it('has the 20 NAICS sectors', () => {
    assert.equal(INDUSTRIES.length, 20);
    assert.equal(new Set(INDUSTRIES).size, 20);
  });

  it('reads a NAICS code by its sector', () => {
    assert.deepEqual(sut('541511'), { value: 'professional_scientific_technical' });
    assert.deepEqual(sut('33'), { value: 'manufacturing' });
    assert.deepEqual(sut('4541'), { value: 'retail_trade' });
  });

  it('takes the longest phrase found, so the most specific wins', () => {
    assert.deepEqual(sut('Software'), { value: 'information' });
    assert.deepEqual(sut('Software Development'), { value: 'professional_scientific_technical' });
    assert.deepEqual(sut('Medical Devices'), { value: 'manufacturing' });
  });

  it('reads a slug as itself', () => {
    for (const slug of INDUSTRIES) assert.deepEqual(sut(slug), { value: slug }, slug);
  });

  it('refuses a text outside the taxonomy', () => {
    assert.deepEqual(sut('Other'), {
      value: null,
      issue: {
        field: 'industry',
        code: 'unknown_industry',
        message: 'industry: not in the industry taxonomy',
      },
    });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeCompanySize } from './company-size.normalizer';

describe('normalizeCompanySize', () => {
  const sut = normalizeCompanySize;

  const cases: [string, string][] = [
    ['1', '1-10'],
    ['50', '11-50'],
    ['51', '51-200'],
    ['10000', '5001-10000'],
    ['10001', '10001+'],
    ['5,000 employees', '1001-5000'],
    ['2.500', '1001-5000'],
    ['1,5k', '1001-5000'],
    ['51-200', '51-200'],
    ['100-500', '201-500'],
    ['1k+', '1001-5000'],
    ['over 10,000', '10001+'],
    ['fewer than 11', '1-10'],
    ['at least 501', '501-1000'],
  ];
  for (const [input, band] of cases) {
    it(`reads ${JSON.stringify(input)} as ${band}`, () => {
      assert.deepEqual(sut(input), { value: band });
    });
  }

  it('refuses what is not a head count', () => {
    for (const input of ['many', '0', '-5']) {
      assert.deepEqual(
        sut(input),
        {
          value: null,
          issue: {
            field: 'company_size',
            code: 'unreadable_company_size',
            message: 'company_size: not a head count or range',
          },
        },
        input,
      );
    }
  });
});

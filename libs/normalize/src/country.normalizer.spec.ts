import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeCountry } from './country.normalizer';

describe('normalizeCountry', () => {
  const sut = normalizeCountry;

  const cases: [string, string][] = [
    ['de', 'DE'],
    ['DEU', 'DE'],
    ['fra', 'FR'],
    ['Germany', 'DE'],
    ['  united   kingdom ', 'GB'],
    ['South Korea', 'KR'],
    ['USA', 'US'],
    ['U.S.', 'US'],
    ['UK', 'GB'],
    ['England', 'GB'],
    ['U.S.A.', 'US'],
    ['Deutschland', 'DE'],
    ['Oesterreich', 'AT'],
    ['Brasil', 'BR'],
    ["Côte d'Ivoire", 'CI'],
    ['日本', 'JP'],
    ['276', 'DE'],
  ];
  for (const [input, expected] of cases) {
    it(`maps ${JSON.stringify(input)} to ${expected}`, () => {
      assert.deepEqual(sut(input), { value: expected });
    });
  }

  it('rejects unknown codes and names', () => {
    for (const input of ['XX', 'QQQ', 'Atlantis']) {
      assert.deepEqual(sut(input), {
        value: null,
        issue: {
          field: 'country',
          code: 'unknown_country',
          message: 'country: not a known country',
        },
      });
    }
  });

  it('treats blank as absent', () => {
    assert.deepEqual(sut(' '), { value: null });
  });
});

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';

// patches/libphonenumber-js+1.13.16.patch: `matchesEntirely`, which libphonenumber-js runs for
// every pattern of a number's possible types, compiles each pattern once instead of on every
// call (half of a phone's normalization time). It must answer as a fresh RegExp would.
const internal = createRequire(__filename);
const root = dirname(internal.resolve('libphonenumber-js/package.json'));
const { default: matchesEntirely } = internal(join(root, 'build/helpers/matchesEntirely.js')) as {
  default: (text: string | undefined, pattern: string) => boolean;
};
const fresh = (text: string, pattern: string) => new RegExp(`^(?:${pattern})$`).test(text);

describe('libphonenumber-js matchesEntirely (patched)', () => {
  it('answers as a RegExp compiled for the call, however often a pattern is asked', () => {
    const patterns = ['1[5-7]\\d{8,9}', '(?:30|4[0-9])\\d{6,8}', '800\\d{7}', '\\d{2,4}'];
    const texts = ['15123456789', '301234567', '8001234567', '12', '123456', '', 'abc'];
    for (let round = 0; round < 3; round++) {
      for (const p of patterns) {
        for (const t of texts) assert.equal(matchesEntirely(t, p), fresh(t, p), `${p} ${t}`);
      }
    }
    assert.equal(matchesEntirely(undefined, '\\d*'), true, 'no text reads as the empty one');
  });

  it('stays right when more patterns than it keeps go through it', () => {
    for (let i = 0; i < 4_500; i++) {
      const pattern = `${i}\\d{2}`;
      assert.equal(matchesEntirely(`${i}42`, pattern), true);
      assert.equal(matchesEntirely(`${i}4`, pattern), false);
    }
    assert.equal(matchesEntirely('042', '0\\d{2}'), true, 'a pattern dropped with the others');
  });
});

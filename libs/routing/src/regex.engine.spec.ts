import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRegex, regexProblem } from './regex.engine';

describe('regexProblem', () => {
  const sut = regexProblem;

  it('accepts ordinary RE2 patterns, including ones that backtrack exponentially in JS', () => {
    for (const pattern of ['^(cto|ceo)$', '\\d{3,5}', '(ab)?c+', '[(*+]+', '(?i)^vp ', '(a+)+$']) {
      assert.equal(sut(pattern), null, pattern);
    }
  });

  it('rejects backreferences, lookarounds, invalid and overlong patterns', () => {
    assert.equal(
      sut('(a)\\1'),
      'not a valid RE2 regular expression (no lookarounds or backreferences): invalid escape sequence: `\\1`',
    );
    assert.equal(
      sut('a(?=b)'),
      'not a valid RE2 regular expression (no lookarounds or backreferences): invalid or unsupported Perl syntax: `(?=`',
    );
    assert.equal(
      sut('('),
      'not a valid RE2 regular expression (no lookarounds or backreferences): missing closing ): `(`',
    );
    assert.equal(sut('a'.repeat(501)), 'pattern is longer than 500 characters');
  });
});

describe('compileRegex', () => {
  const sut = compileRegex;

  it('tests strings anywhere in the input, honouring (?i)', () => {
    assert.equal(sut('^vp').test('VP Sales'), false);
    assert.equal(sut('(?i)^vp').test('VP Sales'), true);
    assert.equal(sut('sales').test('VP Sales and salesforce'), true);
  });

  it('matches in linear time where a backtracking engine would not finish', () => {
    const started = performance.now();
    assert.equal(sut('^(a+)+$').test(`${'a'.repeat(50_000)}b`), false);
    assert.ok(performance.now() - started < 1_000);
  });
});

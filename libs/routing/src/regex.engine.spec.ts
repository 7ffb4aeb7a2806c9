import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { compileRegex, regexProblem } from './regex.engine';

describe('regexProblem', () => {
  const sut = regexProblem;

  it('accepts ordinary patterns', () => {
    for (const pattern of ['^(cto|ceo)$', '\\d{3,5}', '(ab)?c+', '[(*+]+', '(?i)^vp ', '(a{2})+']) {
      assert.equal(sut(pattern), null, pattern);
    }
  });

  it('rejects patterns that can backtrack exponentially', () => {
    for (const pattern of ['(a+)+$', '(a*)*', '((ab)+c)*', '(\\w+\\s?)+$', '(x{1,9})+']) {
      assert.equal(
        sut(pattern),
        'a repeated group that itself contains a repetition can take exponential time',
        pattern,
      );
    }
  });

  it('rejects backreferences, lookarounds, invalid and overlong patterns', () => {
    assert.equal(sut('(a)\\1'), 'backreferences are not supported');
    assert.equal(sut('a(?=b)'), 'lookarounds are not supported');
    assert.match(sut('(') ?? '', /Invalid regular expression/);
    assert.equal(sut('a'.repeat(501)), 'pattern is longer than 500 characters');
  });
});

describe('compileRegex', () => {
  const sut = compileRegex;

  it('tests strings, honouring (?i)', () => {
    assert.equal(sut('^vp').test('VP Sales'), false);
    assert.equal(sut('(?i)^vp').test('VP Sales'), true);
  });
});

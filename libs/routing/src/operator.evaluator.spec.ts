import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { operatorTest } from './operator.evaluator';
import { type LeafCondition, type Operator } from './rules.schema';

function test(op: Operator, operand: unknown, actual: unknown): boolean {
  const leaf = { path: 'x', [op]: operand } as LeafCondition;
  return operatorTest(op, leaf)(actual);
}

describe('operatorTest', () => {
  const sut = test;

  const cases: [Operator, unknown, unknown, boolean][] = [
    ['eq', 'DE', 'DE', true],
    ['eq', 'DE', 'de', false],
    ['eq', false, false, true],
    ['eq', null, undefined, true],
    ['eq', 1, '1', false],
    ['ne', 'DE', 'FR', true],
    ['ne', 'DE', 'DE', false],
    ['ne', null, 'x', true],
    ['in', ['DE', 'FR'], 'FR', true],
    ['in', ['DE', 'FR'], 'US', false],
    ['in', [null], undefined, true],
    ['not_in', ['DE', 'FR'], 'US', true],
    ['not_in', ['DE', 'FR'], 'DE', false],
    ['gt', 100, 250, true],
    ['gt', 100, '250', true],
    ['gt', 100, 100, false],
    ['gt', 100, 'many', false],
    ['gt', 100, '', false],
    ['gte', 100, 100, true],
    ['gte', 100, 99, false],
    ['lt', 10, 9, true],
    ['lt', 10, 10, false],
    ['lte', 10, 10, true],
    ['lte', 10, null, false],
    ['gt', '2026-01-01', '2026-06-01', true],
    ['lt', '2026-01-01', 5, false],
    ['between', [10, 20], 10, true],
    ['between', [10, 20], '20', true],
    ['between', [10, 20], 21, false],
    ['contains', 'chief', 'Chief Technology Officer', true],
    ['contains', 'cfo', 'Chief Technology Officer', false],
    ['contains', 'vip', ['new', 'VIP'], true],
    ['contains', 'x', null, false],
    ['starts_with', 'chief', 'Chief Technology Officer', true],
    ['starts_with', 'officer', 'Chief Technology Officer', false],
    ['ends_with', '.DE', 'ada@firma.de', true],
    ['ends_with', '.de', 'ada@firma.com', false],
    ['matches', '^(cto|ceo)$', 'cto', true],
    ['matches', '^(cto|ceo)$', 'CTO', false],
    ['matches', '(?i)^(cto|ceo)$', 'CTO', true],
    ['matches', '\\d+', 42, false],
    ['exists', true, '+4930123', true],
    ['exists', true, null, false],
    ['exists', true, '', false],
    ['exists', false, undefined, true],
    ['missing', true, undefined, true],
    ['missing', true, 'x', false],
    ['missing', false, 'x', true],
  ];
  for (const [op, operand, actual, expected] of cases) {
    it(`${JSON.stringify(actual)} ${op} ${JSON.stringify(operand)} is ${expected}`, () => {
      assert.equal(sut(op, operand, actual), expected);
    });
  }
});

import { compileRegex } from './regex.engine';
import type { LeafCondition, Operator, Scalar } from './rules.schema';

export type Test = (actual: unknown) => boolean;

function isPresent(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** A number operand compares with a numeric string (attributes are strings): "250" gt 100. */
function comparable(actual: unknown, expected: number | string): number | string | undefined {
  if (typeof expected === 'number') {
    if (typeof actual === 'number') return actual;
    if (typeof actual === 'string' && actual.trim() !== '' && Number.isFinite(Number(actual))) {
      return Number(actual);
    }
    return undefined;
  }
  return typeof actual === 'string' ? actual : undefined;
}

function compare(
  actual: unknown,
  expected: number | string,
  ok: (order: number) => boolean,
): boolean {
  const value = comparable(actual, expected);
  if (value === undefined) return false;
  return ok(value < expected ? -1 : value > expected ? 1 : 0);
}

function lowerText(actual: unknown): string | undefined {
  return typeof actual === 'string' ? actual.toLowerCase() : undefined;
}

function includesScalar(list: readonly Scalar[], actual: unknown): boolean {
  return list.some((item) => item === (actual === undefined ? null : actual));
}

/**
 * Builds the test for one operator. Text operators (contains, starts_with, ends_with) ignore
 * case; a missing value equals null; an operand of the wrong type never matches.
 */
export function operatorTest(op: Operator, leaf: LeafCondition): Test {
  switch (op) {
    case 'eq': {
      const expected = leaf.eq ?? null;
      return (actual) => (actual ?? null) === expected;
    }
    case 'ne': {
      const expected = leaf.ne ?? null;
      return (actual) => (actual ?? null) !== expected;
    }
    case 'in': {
      const list = leaf.in ?? [];
      return (actual) => includesScalar(list, actual);
    }
    case 'not_in': {
      const list = leaf.not_in ?? [];
      return (actual) => !includesScalar(list, actual);
    }
    case 'gt':
      return (actual) => compare(actual, leaf.gt ?? 0, (o) => o > 0);
    case 'gte':
      return (actual) => compare(actual, leaf.gte ?? 0, (o) => o >= 0);
    case 'lt':
      return (actual) => compare(actual, leaf.lt ?? 0, (o) => o < 0);
    case 'lte':
      return (actual) => compare(actual, leaf.lte ?? 0, (o) => o <= 0);
    case 'between': {
      const [low, high] = leaf.between ?? [0, 0];
      return (actual) =>
        compare(actual, low, (o) => o >= 0) && compare(actual, high, (o) => o <= 0);
    }
    case 'contains': {
      const needle = (leaf.contains ?? '').toLowerCase();
      return (actual) =>
        Array.isArray(actual)
          ? actual.some((item) => lowerText(item) === needle)
          : (lowerText(actual)?.includes(needle) ?? false);
    }
    case 'starts_with': {
      const prefix = (leaf.starts_with ?? '').toLowerCase();
      return (actual) => lowerText(actual)?.startsWith(prefix) ?? false;
    }
    case 'ends_with': {
      const suffix = (leaf.ends_with ?? '').toLowerCase();
      return (actual) => lowerText(actual)?.endsWith(suffix) ?? false;
    }
    case 'matches': {
      const regex = compileRegex(leaf.matches ?? '');
      return (actual) => typeof actual === 'string' && regex.test(actual);
    }
    case 'exists': {
      const wanted = leaf.exists ?? true;
      return (actual) => isPresent(actual) === wanted;
    }
    case 'missing': {
      const wanted = leaf.missing ?? true;
      return (actual) => !isPresent(actual) === wanted;
    }
  }
}

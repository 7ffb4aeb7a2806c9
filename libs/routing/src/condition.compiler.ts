import type { ConditionTrace, EnrichedLead } from '@lead-router/schemas';
import { operatorTest } from './operator.evaluator';
import { resolvePath } from './path.resolver';
import { type Condition, OPERATORS, type Operator } from './rules.schema';

/** A compiled condition: decides a lead, recording every leaf it evaluates, and explains a match. */
export interface Predicate {
  test(lead: EnrichedLead, trace: ConditionTrace[]): boolean;
  /** The comparisons that decided the outcome, as a sentence. */
  explain(lead: EnrichedLead): string;
}

function json(value: unknown): string {
  return JSON.stringify(value === undefined ? null : value);
}

function compileLeaf(condition: Extract<Condition, { path: string }>): Predicate {
  const op = OPERATORS.find((o) => o in condition) as Operator;
  const segments = condition.path.split('.');
  const operand = condition[op];
  const expected = json(operand);
  const test = operatorTest(op, condition);
  const describe = (actual: unknown) => `${condition.path} ${json(actual)} ${op} ${expected}`;
  return {
    test(lead, trace) {
      const actual = resolvePath(lead, segments);
      const result = test(actual);
      trace.push({ path: condition.path, op, expected, actual: json(actual), result });
      return result;
    },
    explain: (lead) => describe(resolvePath(lead, segments)),
  };
}

/**
 * Compiles a condition once into closures; `segment` references go through `segments`, which
 * the caller fills as it compiles them (validation has ruled out cycles and dangling names).
 */
export function compileCondition(
  condition: Condition,
  segments: ReadonlyMap<string, Predicate>,
): Predicate {
  if ('all' in condition) {
    const parts = condition.all.map((c) => compileCondition(c, segments));
    return {
      test: (lead, trace) => parts.every((p) => p.test(lead, trace)),
      explain: (lead) => parts.map((p) => group(p.explain(lead), parts.length)).join(' and '),
    };
  }
  if ('any' in condition) {
    const parts = condition.any.map((c) => compileCondition(c, segments));
    return {
      test: (lead, trace) => parts.some((p) => p.test(lead, trace)),
      explain: (lead) => {
        const hit = parts.find((p) => p.test(lead, []));
        return (hit ?? parts[0])?.explain(lead) ?? '';
      },
    };
  }
  if ('not' in condition) {
    const inner = compileCondition(condition.not, segments);
    return {
      test: (lead, trace) => !inner.test(lead, trace),
      explain: (lead) => `not (${inner.explain(lead)})`,
    };
  }
  if ('segment' in condition) {
    const name = condition.segment;
    const resolve = (): Predicate => {
      const predicate = segments.get(name);
      if (predicate === undefined) throw new Error(`segment "${name}" is not compiled`);
      return predicate;
    };
    return {
      test: (lead, trace) => resolve().test(lead, trace),
      explain: (lead) => `segment ${name} (${resolve().explain(lead)})`,
    };
  }
  return compileLeaf(condition);
}

function group(text: string, siblings: number): string {
  return siblings > 1 && text.includes(' or ') ? `(${text})` : text;
}

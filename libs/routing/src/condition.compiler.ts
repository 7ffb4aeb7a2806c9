import type { ConditionTrace, EnrichedLead } from '@lead-router/schemas';
import { operatorTest, type Test } from './operator.evaluator';
import { resolvePath } from './path.resolver';
import { RuleSetError } from './routing.errors';
import { type Condition, type LeafCondition, OPERATORS, type Operator } from './rules.schema';

/**
 * What one lead's evaluation has learned so far. Rules of one set look at the same few paths
 * and share conditions through segments, so each path is resolved (and its JSON for the trace
 * written) once per lead, each distinct leaf is tested once, and each segment and each distinct
 * prefix of an `all` is decided once, its trace shared by every rule that has it.
 * A scope is reset per lead; routing is synchronous, so one scope per compiled rule set is
 * reused rather than allocated per lead.
 */
export class LeadScope {
  lead: EnrichedLead | undefined;
  private generation = 0;
  private readonly valueAt: Int32Array;
  private readonly values: unknown[];
  private readonly jsonAt: Int32Array;
  private readonly jsons: string[];
  private readonly leafAt: Int32Array;
  private readonly leaves: ConditionTrace[];
  private readonly nodeAt: Int32Array;
  private readonly nodes: Outcome[];

  constructor(private readonly compiler: ConditionCompiler) {
    this.valueAt = new Int32Array(compiler.paths.length);
    this.values = new Array<unknown>(compiler.paths.length);
    this.jsonAt = new Int32Array(compiler.paths.length);
    this.jsons = new Array<string>(compiler.paths.length);
    this.leafAt = new Int32Array(compiler.leafCount);
    this.leaves = new Array<ConditionTrace>(compiler.leafCount);
    this.nodeAt = new Int32Array(compiler.nodeCount);
    this.nodes = new Array<Outcome>(compiler.nodeCount);
  }

  reset(lead: EnrichedLead): this {
    this.lead = lead;
    this.generation++;
    return this;
  }

  value(slot: number): unknown {
    if (this.valueAt[slot] !== this.generation) {
      this.values[slot] = resolvePath(this.lead, this.compiler.paths[slot] ?? []);
      this.valueAt[slot] = this.generation;
    }
    return this.values[slot];
  }

  json(slot: number): string {
    if (this.jsonAt[slot] !== this.generation) {
      this.jsons[slot] = json(this.value(slot));
      this.jsonAt[slot] = this.generation;
    }
    return this.jsons[slot] ?? 'null';
  }

  leaf(slot: number): ConditionTrace | undefined {
    return this.leafAt[slot] === this.generation ? this.leaves[slot] : undefined;
  }

  setLeaf(slot: number, trace: ConditionTrace): void {
    this.leaves[slot] = trace;
    this.leafAt[slot] = this.generation;
  }

  node(slot: number): Outcome | undefined {
    return this.nodeAt[slot] === this.generation ? this.nodes[slot] : undefined;
  }

  setNode(slot: number, outcome: Outcome): Outcome {
    this.nodes[slot] = outcome;
    this.nodeAt[slot] = this.generation;
    return outcome;
  }
}

/**
 * A condition's result and the leaves evaluated to reach it. Traces are shared between rules
 * (and with the scope's memo), so they are read-only once made.
 */
export interface Outcome {
  result: boolean;
  trace: ConditionTrace[];
}

/** A compiled condition: decides a lead, recording every leaf it evaluates, and explains a match. */
export interface Predicate {
  test(scope: LeadScope, trace: ConditionTrace[]): boolean;
  /** The outcome as a value, possibly shared: do not modify its trace. */
  evaluate(scope: LeadScope): Outcome;
  /** The comparisons that decided the outcome, as a sentence. */
  explain(scope: LeadScope): string;
}

export function json(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (value === undefined || value === null) return 'null';
  if (typeof value === 'boolean' || typeof value === 'number') return String(value);
  return JSON.stringify(value);
}

/**
 * Compiles conditions once into closures over numbered slots: one per distinct path, per
 * distinct leaf (path, operator, operand) and per segment, which LeadScope memoizes per lead.
 */
export class ConditionCompiler {
  readonly paths: (readonly string[])[] = [];
  leafCount = 0;
  nodeCount = 0;
  private readonly pathSlots = new Map<string, number>();
  private readonly leafSlots = new Map<string, Predicate>();
  private readonly segmentPredicates = new Map<string, Predicate>();
  private readonly prefixes = new Map<string, number>();

  constructor(private readonly segmentConditions: Readonly<Record<string, Condition>> = {}) {}

  scope(): LeadScope {
    return new LeadScope(this);
  }

  pathSlot(path: string): number {
    let slot = this.pathSlots.get(path);
    if (slot === undefined) {
      slot = this.paths.length;
      this.paths.push(path.split('.'));
      this.pathSlots.set(path, slot);
    }
    return slot;
  }

  compile(condition: Condition): Predicate {
    if ('all' in condition) {
      return this.prefixChain(
        condition.all,
        condition.all.map((c) => this.compile(c)),
      );
    }
    if ('any' in condition) {
      const parts = condition.any.map((c) => this.compile(c));
      return withEvaluate({
        test: (scope, trace) => {
          for (const part of parts) if (part.test(scope, trace)) return true;
          return false;
        },
        explain: (scope) => {
          const hit = parts.find((p) => p.test(scope, []));
          return (hit ?? parts[0])?.explain(scope) ?? '';
        },
      });
    }
    if ('not' in condition) {
      const inner = this.compile(condition.not);
      return withEvaluate({
        test: (scope, trace) => !inner.test(scope, trace),
        explain: (scope) => `not (${inner.explain(scope)})`,
      });
    }
    if ('segment' in condition) return this.segment(condition.segment);
    return this.leaf(condition);
  }

  /**
   * `all: [p1, p2, p3]` as a chain of prefixes, each decided once per lead and shared by every
   * `all` that starts the same way: 150 rules that begin with `segment: emea` cost one test for
   * a lead from Brazil, and their traces are one array.
   */
  private prefixChain(conditions: readonly Condition[], parts: readonly Predicate[]): Predicate {
    let key = '';
    const chain = conditions.map((condition, i) => {
      key += `${JSON.stringify(condition)}\u0001`;
      let slot = this.prefixes.get(key);
      if (slot === undefined) {
        slot = this.nodeCount++;
        this.prefixes.set(key, slot);
      }
      return { slot, part: parts[i] as Predicate };
    });
    // Walks forward so that a rule failing on its first condition costs one memo lookup.
    const evaluate = (scope: LeadScope): Outcome => {
      let outcome: Outcome | undefined;
      for (const { slot, part } of chain) {
        let memo = scope.node(slot);
        if (memo === undefined) {
          if (outcome === undefined) memo = part.evaluate(scope);
          else {
            const trace = outcome.trace.slice();
            memo = { result: part.test(scope, trace), trace };
          }
          scope.setNode(slot, memo);
        }
        if (!memo.result) return memo;
        outcome = memo;
      }
      return outcome ?? { result: true, trace: [] };
    };
    return {
      test: (scope, trace) => {
        const outcome = evaluate(scope);
        for (const entry of outcome.trace) trace.push(entry);
        return outcome.result;
      },
      evaluate,
      explain: (scope) => parts.map((p) => group(p.explain(scope), parts.length)).join(' and '),
    };
  }

  private segment(name: string): Predicate {
    const known = this.segmentPredicates.get(name);
    if (known !== undefined) return known;
    const slot = this.nodeCount++;
    // Validation has ruled out cycles and dangling names; the body compiles on first use so
    // segments may refer to segments defined after them.
    let body: Predicate | undefined;
    const inner = (): Predicate => {
      if (body === undefined) {
        const condition = this.segmentConditions[name];
        if (condition === undefined) {
          throw new RuleSetError(`segment "${name}" is not defined`, { segment: name });
        }
        body = this.compile(condition);
      }
      return body;
    };
    const evaluate = (scope: LeadScope): Outcome =>
      scope.node(slot) ?? scope.setNode(slot, inner().evaluate(scope));
    const predicate: Predicate = {
      test: (scope, trace) => {
        const outcome = evaluate(scope);
        for (const entry of outcome.trace) trace.push(entry);
        return outcome.result;
      },
      evaluate,
      explain: (scope) => `segment ${name} (${inner().explain(scope)})`,
    };
    this.segmentPredicates.set(name, predicate);
    inner();
    return predicate;
  }

  private leaf(condition: LeafCondition): Predicate {
    const op = OPERATORS.find((o) => o in condition) as Operator;
    const expected = json(condition[op]);
    const key = `${condition.path}\u0000${op}\u0000${expected}`;
    const known = this.leafSlots.get(key);
    if (known !== undefined) return known;
    const slot = this.leafCount++;
    const pathSlot = this.pathSlot(condition.path);
    const test: Test = operatorTest(op, condition);
    const path = condition.path;
    const predicate: Predicate = withEvaluate({
      test: (scope, trace) => {
        let entry = scope.leaf(slot);
        if (entry === undefined) {
          const result = test(scope.value(pathSlot));
          entry = { path, op, expected, actual: scope.json(pathSlot), result };
          scope.setLeaf(slot, entry);
        }
        trace.push(entry);
        return entry.result;
      },
      explain: (scope) => `${path} ${scope.json(pathSlot)} ${op} ${expected}`,
    });
    this.leafSlots.set(key, predicate);
    return predicate;
  }
}

function withEvaluate(predicate: Omit<Predicate, 'evaluate'>): Predicate {
  return {
    ...predicate,
    evaluate: (scope) => {
      const trace: ConditionTrace[] = [];
      return { result: predicate.test(scope, trace), trace };
    },
  };
}

function group(text: string, siblings: number): string {
  return siblings > 1 && text.includes(' or ') ? `(${text})` : text;
}

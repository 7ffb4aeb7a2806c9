import { compileCondition, type Predicate } from './condition.compiler';
import type { Queue, RuleSet, RuleSetDestination } from './rules.schema';

export interface RouteTarget {
  queue: string | null;
  owner: string | null;
  destinations: readonly string[];
}

export interface CompiledRule extends RouteTarget {
  name: string;
  predicate: Predicate;
}

export interface CompiledRuleSet {
  id: string;
  version: string;
  rules: readonly CompiledRule[];
  fallback: RouteTarget;
  queues: ReadonlyMap<string, Queue>;
  destinations: ReadonlyMap<string, RuleSetDestination>;
}

/** Compiles a validated rule set once, so routing a lead is a walk over closures. */
export function compileRuleSet(rs: RuleSet): CompiledRuleSet {
  const segments = new Map<string, Predicate>();
  for (const [name, condition] of Object.entries(rs.segments)) {
    segments.set(name, compileCondition(condition, segments));
  }
  return {
    id: rs.id,
    version: rs.version,
    rules: rs.rules.map((rule) => ({
      name: rule.name,
      predicate: compileCondition(rule.when, segments),
      queue: rule.queue ?? null,
      owner: rule.owner ?? null,
      destinations: rule.destinations,
    })),
    fallback: {
      queue: rs.fallback.queue ?? null,
      owner: rs.fallback.owner ?? null,
      destinations: rs.fallback.destinations,
    },
    queues: new Map(Object.entries(rs.queues)),
    destinations: new Map(Object.entries(rs.destinations)),
  };
}

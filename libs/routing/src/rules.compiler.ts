import { ConditionCompiler, type LeadScope, type Predicate } from './condition.compiler';
import { CompiledQueue } from './queue.distributor';
import { queueGroups } from './queue.groups';
import type { RuleSet, RuleSetDestination } from './rules.schema';

export interface RouteTarget {
  queue: string | null;
  owner: string | null;
  destinations: readonly string[];
  /** Members of the queue must have every one of these skills. */
  skills: readonly string[];
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
  queues: ReadonlyMap<string, CompiledQueue>;
  destinations: ReadonlyMap<string, RuleSetDestination>;
  /** Queue name -> its queue group (queues joined by overflow share state ownership). */
  queueGroups: ReadonlyMap<string, string>;
  /** The validated source, for diffs and display. */
  source: RuleSet;
  /** Per-lead memo of paths, leaves and segments; reused because routing is synchronous. */
  scope: LeadScope;
}

/** Compiles a validated rule set once, so routing a lead is a walk over closures. */
export function compileRuleSet(rs: RuleSet): CompiledRuleSet {
  const compiler = new ConditionCompiler(rs.segments);
  const rules = rs.rules.map((rule) => ({
    name: rule.name,
    predicate: compiler.compile(rule.when),
    queue: rule.queue ?? null,
    owner: rule.owner ?? null,
    destinations: rule.destinations,
    skills: rule.skills ?? [],
  }));
  return {
    id: rs.id,
    version: rs.version,
    rules,
    fallback: {
      queue: rs.fallback.queue ?? null,
      owner: rs.fallback.owner ?? null,
      destinations: rs.fallback.destinations,
      skills: rs.fallback.skills ?? [],
    },
    queues: new Map(
      Object.entries(rs.queues).map(([name, q]) => [name, new CompiledQueue(name, q)]),
    ),
    destinations: new Map(Object.entries(rs.destinations)),
    queueGroups: queueGroups(rs),
    source: rs,
    scope: compiler.scope(),
  };
}

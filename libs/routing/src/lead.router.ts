import type {
  Destination,
  DistributionStep,
  EnrichedLead,
  RoutingDecision,
  RuleEvaluation,
} from '@lead-router/schemas';
import type { CompiledRuleSet, RouteTarget } from './rules.compiler';

export interface RouteResult {
  decision: RoutingDecision;
  destinations: Destination[];
  /** The queue's rotation position after this lead; the caller persists it. */
  advance: { queue: string; position: number } | null;
}

interface Assignment {
  owners: (destination: string) => string | null;
  distribution: DistributionStep | null;
  advance: RouteResult['advance'];
}

function assign(
  compiled: CompiledRuleSet,
  target: RouteTarget,
  positions: ReadonlyMap<string, number>,
): Assignment {
  const queue = target.queue === null ? undefined : compiled.queues.get(target.queue);
  if (target.queue === null || queue === undefined) {
    return { owners: () => target.owner, distribution: null, advance: null };
  }
  const position = positions.get(target.queue) ?? 0;
  const members = queue.members;
  const member = members[position % members.length];
  if (member === undefined) throw new Error(`queue ${target.queue} has no members`);
  return {
    owners: (destination) => member.owners[destination] ?? null,
    distribution: {
      method: queue.method,
      position,
      members: members.map((m) => m.id),
      chosen_member: member.id,
      skipped: [],
    },
    advance: { queue: target.queue, position: position + 1 },
  };
}

/**
 * Routes a lead: the first rule whose condition holds wins, else the fallback. A queue picks its
 * member by round robin from `positions` (the queue's counter, owned by the caller), so routing
 * stays a pure function and the caller decides where rotation state lives.
 */
export function route(
  compiled: CompiledRuleSet,
  lead: EnrichedLead,
  positions: ReadonlyMap<string, number>,
  now: number,
): RouteResult {
  const evaluated: RuleEvaluation[] = [];
  let matched: (RouteTarget & { name: string; reason: string }) | undefined;
  for (const rule of compiled.rules) {
    const conditions: RuleEvaluation['conditions'] = [];
    const hit = rule.predicate.test(lead, conditions);
    evaluated.push({ rule: rule.name, matched: hit, conditions });
    if (hit) {
      matched = { ...rule, reason: rule.predicate.explain(lead) };
      break;
    }
  }
  const fallback = matched === undefined;
  const target = matched ?? {
    ...compiled.fallback,
    name: 'fallback',
    reason:
      compiled.rules.length === 0
        ? 'the rule set has no rules, so the fallback routed the lead'
        : `none of the ${compiled.rules.length} rules matched, so the fallback routed the lead`,
  };
  const assignment = assign(compiled, target, positions);
  const destinations = target.destinations.map((id): Destination => {
    const destination = compiled.destinations.get(id);
    return {
      id,
      type: destination?.type ?? 'unknown',
      url: destination?.url ?? null,
      owner_id: assignment.owners(id),
    };
  });
  const firstDestination = target.destinations[0];
  return {
    decision: {
      rule_set_id: compiled.id,
      rule_set_version: compiled.version,
      matched_rule: target.name,
      fallback,
      reason: target.reason,
      queue: target.queue,
      owner_id: firstDestination === undefined ? target.owner : assignment.owners(firstDestination),
      distribution: assignment.distribution,
      evaluated,
      decided_at: now,
    },
    destinations,
    advance: assignment.advance,
  };
}

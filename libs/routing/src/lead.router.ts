import type {
  Destination,
  DistributionStep,
  EnrichedLead,
  RoutingDecision,
  RuleEvaluation,
  SkippedMember,
} from '@lead-router/schemas';
import type { QueueState } from './queue.state';
import { RuleSetError } from './routing.errors';
import type { CompiledRuleSet, RouteTarget } from './rules.compiler';

export interface QueueStateUpdate {
  queue: string;
  state: QueueState;
}

export type RouteResult =
  | {
      kind: 'routed';
      decision: RoutingDecision;
      destinations: Destination[];
      /** Each destination's fallback chain, by the destination it stands in for (RoutedLead.fallbacks). */
      fallbacks: Record<string, Destination>;
      /** New states of the queues this lead touched; the caller stores them. */
      stateUpdates: QueueStateUpdate[];
    }
  | {
      kind: 'hold';
      /** The earliest time (ms) a member who could take the lead becomes available. */
      until: number;
      decision: RoutingDecision;
    };

interface Matched extends RouteTarget {
  name: string;
  reason: string;
  fallback: boolean;
}

function match(
  compiled: CompiledRuleSet,
  lead: EnrichedLead,
): {
  matched: Matched;
  evaluated: RuleEvaluation[];
} {
  const scope = compiled.scope.reset(lead);
  const evaluated: RuleEvaluation[] = [];
  try {
    for (const rule of compiled.rules) {
      // Rules that share a condition prefix share its trace array: the trace is read-only.
      const { result: hit, trace: conditions } = rule.predicate.evaluate(scope);
      evaluated.push({ rule: rule.name, matched: hit, conditions });
      if (hit) {
        return {
          matched: { ...rule, reason: rule.predicate.explain(scope), fallback: false },
          evaluated,
        };
      }
    }
  } finally {
    scope.lead = undefined;
  }
  return {
    matched: {
      ...compiled.fallback,
      name: 'fallback',
      fallback: true,
      reason:
        compiled.rules.length === 0
          ? 'the rule set has no rules, so the fallback routed the lead'
          : `none of the ${compiled.rules.length} rules matched, so the fallback routed the lead`,
    },
    evaluated,
  };
}

/**
 * The queue group a lead's matched rule sends it to, or null for a fixed owner: the key the
 * router partitions by, so that one instance owns the state this lead will read and change.
 */
export function queueGroupFor(compiled: CompiledRuleSet, lead: EnrichedLead): string | null {
  const { queue } = match(compiled, lead).matched;
  return queue === null ? null : (compiled.queueGroups.get(queue) ?? queue);
}

/**
 * Routes a lead: the first rule whose condition holds wins, else the fallback. A queue target
 * is distributed with the queues' states as given; when nobody in the queue can take the lead,
 * the queue's `when_unavailable` overflows to another queue or holds the lead. Pure: the new
 * queue states come back in the result and the caller decides where they live.
 */
export function route(
  compiled: CompiledRuleSet,
  lead: EnrichedLead,
  states: ReadonlyMap<string, QueueState>,
  now: number,
): RouteResult {
  const { matched, evaluated } = match(compiled, lead);
  const decision: RoutingDecision = {
    rule_set_id: compiled.id,
    rule_set_version: compiled.version,
    matched_rule: matched.name,
    fallback: matched.fallback,
    reason: matched.reason,
    queue: matched.queue,
    owner_id: null,
    distribution: null,
    evaluated,
    decided_at: now,
  };
  if (matched.queue === null) {
    decision.owner_id = matched.owner;
    return {
      kind: 'routed',
      decision,
      ...destinationsOf(compiled, matched, () => matched.owner),
      stateUpdates: [],
    };
  }

  const tried: string[] = [];
  const skippedBy: [string, SkippedMember[]][] = [];
  const stateUpdates: QueueStateUpdate[] = [];
  let queueName = matched.queue;
  for (;;) {
    const queue = compiled.queues.get(queueName);
    if (queue === undefined) {
      throw new RuleSetError(`queue ${queueName} is not in the rule set`, { queue: queueName });
    }
    const outcome = queue.distribute(states.get(queueName), lead, matched.skills, now);
    stateUpdates.push({ queue: queueName, state: outcome.state });
    if (outcome.kind === 'chosen') {
      skippedBy.push([queueName, outcome.step.skipped]);
      const step: DistributionStep = {
        ...outcome.step,
        skipped: flatten(skippedBy),
        overflowed_from: tried,
      };
      const { member } = outcome;
      const owners = (destination: string) => member.owners[destination] ?? null;
      const first = matched.destinations[0];
      decision.queue = queueName;
      decision.owner_id = first === undefined ? null : owners(first);
      decision.distribution = step;
      return {
        kind: 'routed',
        decision,
        ...destinationsOf(compiled, matched, owners),
        stateUpdates,
      };
    }
    tried.push(queueName);
    skippedBy.push([queueName, outcome.skipped]);
    if ('overflow' in queue.whenUnavailable && !tried.includes(queue.whenUnavailable.overflow)) {
      queueName = queue.whenUnavailable.overflow;
      continue;
    }
    return hold(compiled, decision, tried, flatten(skippedBy), states, matched.skills, now);
  }
}

function hold(
  compiled: CompiledRuleSet,
  decision: RoutingDecision,
  tried: readonly string[],
  skipped: SkippedMember[],
  states: ReadonlyMap<string, QueueState>,
  skills: readonly string[],
  now: number,
): RouteResult {
  let until = Number.POSITIVE_INFINITY;
  for (const name of tried) {
    const queue = compiled.queues.get(name);
    if (queue !== undefined)
      until = Math.min(until, queue.availableFrom(states.get(name), skills, now));
  }
  // Validation guarantees a member with the skills, and every absence ends; this is a guard.
  if (!Number.isFinite(until)) until = now;
  const held = tried[tried.length - 1] ?? decision.queue ?? '';
  decision.queue = held;
  decision.reason = `${decision.reason}; nobody in ${tried.length > 1 ? `queues ${tried.join(', ')}` : `queue ${held}`} can take the lead now, so it is held until ${new Date(until).toISOString()}`;
  decision.distribution = {
    method: compiled.queues.get(held)?.method ?? 'hold',
    position: states.get(held)?.position ?? 0,
    members: [...(compiled.queues.get(held)?.memberIds ?? [])],
    chosen_member: '',
    skipped,
    weights: {},
    loads: {},
    overflowed_from: tried.slice(0, -1),
  };
  return { kind: 'hold', until, decision };
}

/** Skips from one queue as they are; across an overflow chain, each says which queue it was in. */
function flatten(skippedBy: readonly [string, SkippedMember[]][]): SkippedMember[] {
  if (skippedBy.length === 1) return skippedBy[0]?.[1] ?? [];
  return skippedBy.flatMap(([queue, skipped]) =>
    skipped.map((s) => ({ member: s.member, reason: `${queue}: ${s.reason}` })),
  );
}

/**
 * The lead's destinations with the owner the member has in each, and the fallbacks they may
 * hand the lead to (every link of each chain), with the member's owner there too: the rule set
 * demands one for every member (rules.validator), and a sink cannot know it.
 */
function destinationsOf(
  compiled: CompiledRuleSet,
  target: RouteTarget,
  owners: (destination: string) => string | null,
): { destinations: Destination[]; fallbacks: Record<string, Destination> } {
  const destination = (id: string): Destination => {
    const configured = compiled.destinations.get(id);
    return {
      id,
      type: configured?.type ?? 'unknown',
      url: configured?.type === 'webhook' ? configured.url : null,
      owner_id: owners(id),
    };
  };
  const fallbacks: Record<string, Destination> = {};
  for (let from of target.destinations) {
    let next = compiled.destinations.get(from)?.fallback;
    // A chain ends at a destination without a fallback, or at one already walked (the validator
    // refuses loops; this keeps a loop finite all the same).
    while (next !== undefined && compiled.destinations.has(next) && !(from in fallbacks)) {
      fallbacks[from] = destination(next);
      from = next;
      next = compiled.destinations.get(from)?.fallback;
    }
  }
  return { destinations: target.destinations.map(destination), fallbacks };
}

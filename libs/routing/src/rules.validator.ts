import type { DestinationType } from '@lead-router/schemas';
import { regexProblem } from './regex.engine';
import type { Condition, RuleSet } from './rules.schema';
import { isTimeZone } from './schema.primitives';

export interface RuleSetValidationOptions {
  /**
   * The destination types some sink delivers to (the service manifest's, as the callers read
   * it). A destination of another type is refused: a lead routed there would get no outcome.
   * Unset, every type the schema knows passes, for what only matches or compares rule sets.
   */
  servedDestinationTypes?: readonly DestinationType[];
}

export interface SemanticIssue {
  path: readonly PropertyKey[];
  message: string;
}

type Visit = (condition: Condition, path: readonly PropertyKey[]) => void;

function walk(condition: Condition, path: readonly PropertyKey[], visit: Visit): void {
  visit(condition, path);
  if ('all' in condition) condition.all.forEach((c, i) => walk(c, [...path, 'all', i], visit));
  else if ('any' in condition) condition.any.forEach((c, i) => walk(c, [...path, 'any', i], visit));
  else if ('not' in condition) walk(condition.not, [...path, 'not'], visit);
}

/**
 * The checks a schema cannot express: references resolve, names are unique, no cycles, and
 * (when told which) every destination type is served.
 */
export function semanticIssues(
  rs: RuleSet,
  options: RuleSetValidationOptions = {},
): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const segmentRefs = new Map<string, string[]>();

  const checkCondition = (root: Condition, rootPath: readonly PropertyKey[], segment?: string) => {
    walk(root, rootPath, (condition, path) => {
      if ('segment' in condition) {
        if (!(condition.segment in rs.segments)) {
          issues.push({
            path,
            message: `segment "${condition.segment}" is not defined under segments`,
          });
        } else if (segment !== undefined) {
          segmentRefs.set(segment, [...(segmentRefs.get(segment) ?? []), condition.segment]);
        }
      }
      if ('path' in condition && condition.matches !== undefined) {
        const problem = regexProblem(condition.matches);
        if (problem !== null) issues.push({ path: [...path, 'matches'], message: problem });
      }
    });
  };

  for (const [name, condition] of Object.entries(rs.segments)) {
    checkCondition(condition, ['segments', name], name);
  }
  issues.push(...segmentCycles(segmentRefs));

  // queue name -> destinations it is sent to (or may fall back to), and by which rule
  const queueUses = new Map<string, { destination: string; by: string; fallbackOf?: string }[]>();
  const targets = [
    ...rs.rules.map((rule, i) => ({ ...rule, path: ['rules', i] as PropertyKey[] })),
    { ...rs.fallback, name: 'fallback', path: ['fallback'] as PropertyKey[] },
  ];
  const seen = new Map<string, number>();
  rs.rules.forEach((rule, i) => {
    const first = seen.get(rule.name);
    if (first !== undefined) {
      issues.push({
        path: ['rules', i, 'name'],
        message: `rule name "${rule.name}" is already used by rules[${first}]`,
      });
    } else seen.set(rule.name, i);
    checkCondition(rule.when, ['rules', i, 'when']);
  });

  for (const t of targets) {
    if (t.skills !== undefined && t.queue === undefined) {
      issues.push({
        path: [...t.path, 'skills'],
        message: 'skills select members of a queue, so they need a queue, not a fixed owner',
      });
    }
    t.destinations.forEach((d, j) => {
      if (!(d in rs.destinations)) {
        issues.push({
          path: [...t.path, 'destinations', j],
          message: `destination "${d}" is not defined under destinations`,
        });
      }
    });
    if (t.queue === undefined) continue;
    if (!(t.queue in rs.queues)) {
      issues.push({
        path: [...t.path, 'queue'],
        message: `queue "${t.queue}" is not defined under queues`,
      });
      continue;
    }
    const skills = t.skills ?? [];
    const queue = rs.queues[t.queue];
    if (
      skills.length > 0 &&
      queue !== undefined &&
      !queue.members.some((m) => skills.every((s) => m.skills.includes(s)))
    ) {
      issues.push({
        path: [...t.path, 'skills'],
        message: `no member of queue "${t.queue}" has ${skills.length > 1 ? 'all of the skills' : 'the skill'} ${skills.join(', ')}`,
      });
    }
    const uses = queueUses.get(t.queue) ?? [];
    for (const destination of t.destinations) {
      uses.push({ destination, by: t.name });
      for (const fallback of fallbackChain(rs, destination)) {
        uses.push({ destination: fallback, by: t.name, fallbackOf: destination });
      }
    }
    queueUses.set(t.queue, uses);
  }

  for (const [queueName, queue] of Object.entries(rs.queues)) {
    const overflow = 'overflow' in queue.when_unavailable ? queue.when_unavailable.overflow : null;
    if (overflow !== null && !(overflow in rs.queues)) {
      issues.push({
        path: ['queues', queueName, 'when_unavailable', 'overflow'],
        message: `queue "${overflow}" is not defined under queues`,
      });
    }
    const ids = new Map<string, number>();
    queue.members.forEach((member, m) => {
      const memberPath = ['queues', queueName, 'members', m];
      const first = ids.get(member.id);
      if (first !== undefined) {
        issues.push({
          path: [...memberPath, 'id'],
          message: `member id "${member.id}" is already used by members[${first}]`,
        });
      } else ids.set(member.id, m);
      const zone = member.working_hours?.timezone;
      if (zone !== undefined && !isTimeZone(zone)) {
        issues.push({
          path: [...memberPath, 'working_hours', 'timezone'],
          message: `unknown time zone "${zone}"; expected an IANA name such as Europe/Berlin`,
        });
      }
      for (const destination of Object.keys(member.owners)) {
        if (!(destination in rs.destinations)) {
          issues.push({
            path: [...memberPath, 'owners', destination],
            message: `destination "${destination}" is not defined under destinations`,
          });
        }
      }
      const reported = new Set<string>();
      for (const use of queueUses.get(queueName) ?? []) {
        if (use.destination in member.owners || reported.has(use.destination)) continue;
        reported.add(use.destination);
        issues.push({
          path: [...memberPath, 'owners'],
          message: `member "${member.id}" has no owner for destination "${use.destination}", ${use.fallbackOf === undefined ? 'which' : `the fallback of "${use.fallbackOf}", which`} ${use.by === 'fallback' ? 'the fallback' : `rule "${use.by}"`} sends queue "${queueName}" to`,
        });
      }
    });
  }
  issues.push(...overflowCycles(rs));
  issues.push(...fallbackIssues(rs, options.servedDestinationTypes));
  if (options.servedDestinationTypes !== undefined) {
    issues.push(...unservedDestinations(rs, targets, options.servedDestinationTypes));
  }
  return issues;
}

/** The destinations a lead for `start` may fall back to, in order, up to a missing one or a loop. */
function fallbackChain(rs: RuleSet, start: string): string[] {
  const chain: string[] = [];
  let next = rs.destinations[start]?.fallback;
  while (next !== undefined && next !== start && !chain.includes(next)) {
    if (!(next in rs.destinations)) break;
    chain.push(next);
    next = rs.destinations[next]?.fallback;
  }
  return chain;
}

/**
 * A fallback must be another defined destination, of a served type, and the chain must end: a
 * lead whose destinations fall back to each other would never settle.
 */
function fallbackIssues(
  rs: RuleSet,
  served: readonly DestinationType[] | undefined,
): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const reported = new Set<string>();
  for (const [name, destination] of Object.entries(rs.destinations)) {
    const fallback = destination.fallback;
    if (fallback === undefined) continue;
    const path = ['destinations', name, 'fallback'];
    const target = rs.destinations[fallback];
    if (fallback === name) {
      issues.push({ path, message: `destination "${name}" cannot fall back to itself` });
      continue;
    }
    if (target === undefined) {
      issues.push({
        path,
        message: `destination "${fallback}" is not defined under destinations`,
      });
      continue;
    }
    if (served !== undefined && !served.includes(target.type)) {
      issues.push({
        path,
        message: `fallback "${fallback}" is of type ${target.type}, which no sink serves (served: ${served.join(', ') || 'none'}); leads of "${name}" would be lost when it is down`,
      });
    }
    const chain = [name];
    let next: string | undefined = fallback;
    while (next !== undefined && next in rs.destinations) {
      if (next === name) {
        const key = [...chain].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          issues.push({
            path,
            message: `destinations fall back to each other in a cycle: ${[...chain, name].join(' -> ')}; end the chain with a destination that has no fallback`,
          });
        }
        break;
      }
      if (chain.includes(next)) break;
      chain.push(next);
      next = rs.destinations[next]?.fallback;
    }
  }
  return issues;
}

function unservedDestinations(
  rs: RuleSet,
  targets: readonly { name: string; destinations: readonly string[]; path: PropertyKey[] }[],
  served: readonly DestinationType[],
): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  for (const [name, destination] of Object.entries(rs.destinations)) {
    if (served.includes(destination.type)) continue;
    const users = targets.filter((t) => t.destinations.includes(name));
    const rules = users.filter((t) => t.path[0] !== 'fallback').map((t) => `"${t.name}"`);
    const fallingBack = Object.entries(rs.destinations)
      .filter(([other, d]) => d.fallback === name && other !== name)
      .map(([other]) => `"${other}"`);
    const routedBy = [
      ...(rules.length > 0 ? [`rule${rules.length > 1 ? 's' : ''} ${rules.join(', ')}`] : []),
      ...(users.length > rules.length ? ['the fallback'] : []),
    ];
    const senders = users.length + fallingBack.length;
    const by = [
      ...routedBy,
      ...(fallingBack.length > 0
        ? [`destination${fallingBack.length > 1 ? 's' : ''} ${fallingBack.join(', ')} falling back`]
        : []),
    ];
    const who =
      by.length === 0
        ? 'no rule routes to it yet; remove it'
        : `${by.join(' and ')} route${senders === 1 ? 's' : ''} leads to it, which would be lost; route them to a served destination`;
    issues.push({
      path: ['destinations', name, 'type'],
      message: `destination "${name}" is of type ${destination.type}, which no sink serves (served: ${served.join(', ') || 'none'}); ${who}`,
    });
  }
  return issues;
}

/** Overflow must end somewhere: a chain that comes back to its start would never settle. */
function overflowCycles(rs: RuleSet): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const reported = new Set<string>();
  for (const start of Object.keys(rs.queues)) {
    const chain = [start];
    let current = rs.queues[start];
    while (current !== undefined && 'overflow' in current.when_unavailable) {
      const next = current.when_unavailable.overflow;
      if (next === start) {
        const key = [...chain].sort().join(',');
        if (!reported.has(key)) {
          reported.add(key);
          issues.push({
            path: ['queues', start, 'when_unavailable', 'overflow'],
            message: `queues overflow into each other in a cycle: ${[...chain, start].join(' -> ')}; end the chain with hold: true`,
          });
        }
        break;
      }
      if (chain.includes(next)) break;
      chain.push(next);
      current = rs.queues[next];
    }
  }
  return issues;
}

function segmentCycles(refs: ReadonlyMap<string, string[]>): SemanticIssue[] {
  const issues: SemanticIssue[] = [];
  const done = new Set<string>();
  const visit = (name: string, stack: string[]): void => {
    const at = stack.indexOf(name);
    if (at >= 0) {
      const cycle = [...stack.slice(at), name];
      issues.push({
        path: ['segments', name],
        message: `segments refer to each other in a cycle: ${cycle.join(' -> ')}`,
      });
      return;
    }
    if (done.has(name)) return;
    for (const next of refs.get(name) ?? []) visit(next, [...stack, name]);
    done.add(name);
  };
  for (const name of refs.keys()) visit(name, []);
  return issues;
}

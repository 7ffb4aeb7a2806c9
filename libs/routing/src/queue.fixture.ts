import assert from 'node:assert/strict';
import type { EnrichedLead } from '@lead-router/schemas';
import { enrichedLeadFixture } from '@lead-router/testing';
import { route, type RouteResult } from './lead.router';
import type { CompiledMember } from './member.availability';
import type { MemberState, QueueState } from './queue.state';
import { compileRuleSet, type CompiledRuleSet } from './rules.compiler';
import { parseRuleSet } from './rules.parser';

/** A rule set whose fallback sends every lead to queue `q` (plus `rules`, if any). */
export function queueRules(queues: string, rules = ''): CompiledRuleSet {
  const yamlText = `id: t
version: "1"
destinations:
  crm: { type: salesforce }
queues:
${queues}
${rules === '' ? '' : `rules:\n${rules}`}
fallback:
  queue: q
  destinations: [crm]
`;
  const parsed = parseRuleSet(yamlText);
  if (!parsed.ok) assert.fail(JSON.stringify(parsed.error, null, 2));
  return compileRuleSet(parsed.value);
}

/** A rule set whose one queue q uses `method`, holds leads nobody can take, and has `ids`. */
export function queue(method: string, ids: readonly string[], extra: Record<string, string> = {}) {
  return queueRules(
    `  q:\n    method: ${method}\n    when_unavailable: { hold: true }\n    members:\n${members(ids, extra)}`,
  );
}

/** The members of queue q in `compiled`, as its strategies see them. */
export function queueMembers(compiled: CompiledRuleSet): readonly CompiledMember[] {
  const q = compiled.queues.get('q');
  if (q === undefined) assert.fail('no queue q');
  return q.members;
}

/** A member's queue state: never served, nothing counted, unless `overrides` say otherwise. */
export function memberState(overrides: Partial<MemberState> = {}): MemberState {
  return { last: null, current: 0, recent: [], load: [], away: false, ...overrides };
}

/** `value`, frozen all the way down, so a test fails if anything mutates it. */
export function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null) {
    for (const inner of Object.values(value)) deepFreeze(inner);
    Object.freeze(value);
  }
  return value;
}

/** `ids` as members of queue q with owners crm: SF-<id>, each with `extra` YAML. */
export function members(ids: readonly string[], extra: Record<string, string> = {}): string {
  return ids
    .map(
      (id) =>
        `      - { id: ${id}, owners: { crm: SF-${id} }${extra[id] ? `, ${extra[id]}` : ''} }`,
    )
    .join('\n');
}

export function routed(result: RouteResult) {
  if (result.kind !== 'routed')
    assert.fail(`expected a routed lead, got ${JSON.stringify(result)}`);
  return result;
}

/** Routes leads one by one, storing each new state like the router does. */
export class QueueRun {
  readonly states = new Map<string, QueueState>();
  readonly chosen: string[] = [];

  constructor(public compiled: CompiledRuleSet) {}

  next(now: number, lead: EnrichedLead = enrichedLeadFixture()): RouteResult {
    const result = route(this.compiled, lead, this.states, now);
    if (result.kind === 'routed') {
      for (const update of result.stateUpdates) this.states.set(update.queue, update.state);
      this.chosen.push(result.decision.distribution?.chosen_member ?? '?');
    }
    return result;
  }

  many(count: number, now: (i: number) => number = () => 0): string[] {
    const start = this.chosen.length;
    for (let i = 0; i < count; i++) this.next(now(i));
    return this.chosen.slice(start);
  }

  /** Swaps in another version of the rule set, keeping the states. */
  use(compiled: CompiledRuleSet): this {
    this.compiled = compiled;
    return this;
  }
}

export function tally(ids: readonly string[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const id of ids) counts[id] = (counts[id] ?? 0) + 1;
  return counts;
}

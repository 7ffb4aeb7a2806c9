import type { EnrichedLead, SkippedMember } from '@lead-router/schemas';
import type { CompiledMember } from './member.availability';
import type { MemberState } from './queue.state';
import type { Method } from './rules.schema';

/** A member who can take the lead now, with its state before this lead. */
export interface Candidate {
  member: CompiledMember;
  state: MemberState;
}

/** What a strategy chose for one lead, and what it adds to the trace and the queue state. */
export interface Choice {
  chosen: Candidate;
  /** The method the trace names: account_owner's fallback names its own when it decides. */
  method: Method;
  /** Member states the method's bookkeeping replaced, by member id (the assignment aside). */
  states?: Readonly<Record<string, MemberState>>;
  skipped?: readonly SkippedMember[];
  weights?: Readonly<Record<string, number>>;
  loads?: Readonly<Record<string, number>>;
}

/** One way of choosing among a queue's available members; it mutates nothing it is given. */
export interface DistributionStrategy {
  /** Picks one of `eligible`, which is never empty and in the queue's member order. */
  pick(eligible: readonly Candidate[], lead: EnrichedLead, now: number): Choice;
  /** A member's load after it takes a lead at `now`; only load_balanced keeps one. */
  loadAfterLead(load: readonly [number, number][], now: number): [number, number][];
}

/** Rotation order: never-served members first, in list order; then the longest since served. */
export function rank(state: MemberState): number {
  return state.last ?? Number.NEGATIVE_INFINITY;
}

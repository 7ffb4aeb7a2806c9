import type { DistributionStep, EnrichedLead, SkippedMember } from '@lead-router/schemas';
import { AccountOwnerStrategy } from './account-owner.strategy';
import type { Candidate, DistributionStrategy } from './distribution.strategy';
import { parseDuration } from './duration';
import { LoadBalancedStrategy } from './load-balanced.strategy';
import { CompiledMember } from './member.availability';
import type { MemberState, QueueState } from './queue.state';
import { RoundRobinStrategy } from './round-robin.strategy';
import type { Method, Queue, WhenUnavailable } from './rules.schema';
import { WeightedStrategy } from './weighted.strategy';

/** How each `method` a queue may name is built; account_owner wraps its `otherwise` method. */
const STRATEGIES: {
  readonly [M in Method]: (
    name: string,
    queue: Queue,
    members: readonly CompiledMember[],
  ) => DistributionStrategy;
} = {
  round_robin: () => new RoundRobinStrategy(),
  weighted: () => new WeightedStrategy(),
  load_balanced: (_name, queue) => new LoadBalancedStrategy(parseDuration(queue.window)),
  account_owner: (name, queue, members) =>
    new AccountOwnerStrategy(
      name,
      members,
      queue.account_owner_path,
      STRATEGIES[queue.otherwise](name, queue, members),
    ),
};

/**
 * A queue as routing uses it: who can take a lead now (skills, availability, capacity), which
 * of them the queue's distribution strategy picks, and the state that leaves behind.
 */
export class CompiledQueue {
  readonly method: Method;
  readonly members: readonly CompiledMember[];
  readonly memberIds: readonly string[];
  readonly whenUnavailable: WhenUnavailable;
  private readonly strategy: DistributionStrategy;

  constructor(
    readonly name: string,
    queue: Queue,
  ) {
    this.method = queue.method;
    this.members = queue.members.map((m) => new CompiledMember(m));
    this.memberIds = this.members.map((m) => m.id);
    this.whenUnavailable = queue.when_unavailable;
    this.strategy = STRATEGIES[queue.method](name, queue, this.members);
  }

  /**
   * Picks the member for one lead, or reports that nobody can take it. Never mutates `state`:
   * the returned state is a new value sharing the members it did not change.
   */
  distribute(
    state: QueueState | undefined,
    lead: EnrichedLead,
    skills: readonly string[],
    now: number,
  ): Distribution {
    const position = state?.position ?? 0;
    const previous = state?.members ?? {};
    const members: Record<string, MemberState> = {};
    const skipped: SkippedMember[] = [];
    const eligible: Candidate[] = [];
    for (const member of this.members) {
      let own = previous[member.id] ?? joining(position);
      if (!member.hasSkills(skills)) {
        skipped.push({ member: member.id, reason: lacking(member, skills) });
      } else {
        const unavailable = member.unavailable(now, own.recent);
        if (unavailable === null) eligible.push({ member, state: own });
        else {
          skipped.push({ member: member.id, reason: unavailable.reason });
          if (unavailable.away && !own.away) own = { ...own, away: true };
        }
      }
      members[member.id] = own;
    }

    if (eligible.length === 0) {
      return { kind: 'none', skipped, state: { position, members } };
    }

    const choice = this.strategy.pick(eligible, lead, now);
    const { chosen } = choice;
    Object.assign(members, choice.states);
    skipped.push(...(choice.skipped ?? []));
    members[chosen.member.id] = this.assigned(
      members[chosen.member.id] ?? chosen.state,
      position,
      now,
      chosen.member,
    );
    const step: DistributionStep = {
      method: choice.method,
      position,
      members: [...this.memberIds],
      chosen_member: chosen.member.id,
      skipped,
      weights: { ...choice.weights },
      loads: { ...choice.loads },
      overflowed_from: [],
    };
    return {
      kind: 'chosen',
      member: chosen.member,
      step,
      state: { position: position + 1, members },
    };
  }

  /** The earliest time a member with `skills` can take a lead. */
  availableFrom(state: QueueState | undefined, skills: readonly string[], now: number): number {
    let earliest = Number.POSITIVE_INFINITY;
    for (const member of this.members) {
      if (!member.hasSkills(skills)) continue;
      const recent = state?.members[member.id]?.recent ?? [];
      earliest = Math.min(earliest, member.availableFrom(now, recent));
    }
    return earliest;
  }

  /** The chosen member's state once it has the lead: its turn, capacity window and load. */
  private assigned(
    own: MemberState,
    position: number,
    now: number,
    member: CompiledMember,
  ): MemberState {
    let recent: number[] = [];
    if (member.capacity !== null) {
      const since = now - member.capacity.window;
      recent = own.recent.filter((t) => t > since);
      recent.push(now);
    }
    return {
      last: position,
      current: own.current,
      recent,
      load: this.strategy.loadAfterLead(own.load, now),
      away: false,
    };
  }
}

export type Distribution =
  | { kind: 'chosen'; member: CompiledMember; step: DistributionStep; state: QueueState }
  | { kind: 'none'; skipped: SkippedMember[]; state: QueueState };

/**
 * A member new to a queue that has already assigned leads takes its turn at the end of the
 * current round (just before whoever was served last) and, for load_balanced, starts level
 * with the least-loaded colleague: it counts as back from away.
 */
function joining(position: number): MemberState {
  return position === 0
    ? { last: null, current: 0, recent: [], load: [], away: false }
    : { last: position - 1.5, current: 0, recent: [], load: [], away: true };
}

function lacking(member: CompiledMember, skills: readonly string[]): string {
  const missing = skills.filter((s) => !member.skills.has(s));
  return `lacks skill${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
}

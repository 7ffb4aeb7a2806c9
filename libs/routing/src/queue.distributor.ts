import type { DistributionStep, EnrichedLead, SkippedMember } from '@lead-router/schemas';
import { parseDuration } from './duration';
import { CompiledMember, countSince } from './member.availability';
import { resolvePath } from './path.resolver';
import { LOAD_BUCKETS, type MemberState, type QueueState } from './queue.state';
import type { BaseMethod, Method, Queue, WhenUnavailable } from './rules.schema';

export class CompiledQueue {
  readonly method: Method;
  readonly base: BaseMethod;
  readonly members: readonly CompiledMember[];
  readonly memberIds: readonly string[];
  readonly whenUnavailable: WhenUnavailable;
  private readonly ownerPath: readonly string[];
  private readonly window: number;
  private readonly bucket: number;

  constructor(
    readonly name: string,
    queue: Queue,
  ) {
    this.method = queue.method;
    this.base = queue.method === 'account_owner' ? queue.otherwise : queue.method;
    this.members = queue.members.map((m) => new CompiledMember(m));
    this.memberIds = this.members.map((m) => m.id);
    this.whenUnavailable = queue.when_unavailable;
    this.ownerPath = queue.account_owner_path.split('.');
    this.window = parseDuration(queue.window);
    this.bucket = Math.max(1, Math.floor(this.window / LOAD_BUCKETS));
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
    this.members.forEach((member, index) => {
      let own = previous[member.id] ?? joining(position);
      if (!member.hasSkills(skills)) {
        skipped.push({ member: member.id, reason: lacking(member, skills) });
      } else {
        const unavailable = member.unavailable(now, own.recent);
        if (unavailable === null) eligible.push({ member, index, state: own });
        else {
          skipped.push({ member: member.id, reason: unavailable.reason });
          if (unavailable.away && !own.away) own = { ...own, away: true };
        }
      }
      members[member.id] = own;
    });

    if (eligible.length === 0) {
      return { kind: 'none', skipped, state: { position, members } };
    }

    let method: string = this.base;
    let chosen: Candidate | undefined;
    const weights: Record<string, number> = {};
    const loads: Record<string, number> = {};
    if (this.method === 'account_owner') {
      chosen = this.accountOwner(lead, eligible, skipped);
      if (chosen !== undefined) method = 'account_owner';
    }
    if (chosen === undefined) {
      if (this.base === 'weighted') chosen = this.weighted(eligible, members, weights);
      else if (this.base === 'load_balanced')
        chosen = this.leastLoaded(eligible, members, loads, now);
      else chosen = leastRecent(eligible);
    }
    members[chosen.member.id] = this.assigned(
      members[chosen.member.id] ?? chosen.state,
      position,
      now,
      chosen.member,
    );
    const step: DistributionStep = {
      method,
      position,
      members: [...this.memberIds],
      chosen_member: chosen.member.id,
      skipped,
      weights,
      loads,
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

  private accountOwner(
    lead: EnrichedLead,
    eligible: readonly Candidate[],
    skipped: SkippedMember[],
  ): Candidate | undefined {
    const owner = resolvePath(lead, this.ownerPath);
    if (typeof owner !== 'string' || owner === '') return undefined;
    const member = this.members.find((m) => m.id === owner || m.ownerIds.has(owner));
    if (member === undefined) {
      skipped.push({
        member: owner,
        reason: `account owner is not a member of queue ${this.name}`,
      });
      return undefined;
    }
    return eligible.find((c) => c.member === member);
  }

  /**
   * Smooth weighted round-robin (as nginx does it): every eligible member gains its weight,
   * the highest total wins and gives back the sum. A 70/30 split then holds in every stretch of
   * ten leads, not just on average. Members who are away do not gain, so they return with no
   * backlog to catch up on.
   */
  private weighted(
    eligible: readonly Candidate[],
    members: Record<string, MemberState>,
    weights: Record<string, number>,
  ): Candidate {
    let total = 0;
    let best: Candidate | undefined;
    let bestCurrent = Number.NEGATIVE_INFINITY;
    for (const candidate of eligible) {
      const { member } = candidate;
      weights[member.id] = member.weight;
      total += member.weight;
      const current = candidate.state.current + member.weight;
      members[member.id] = { ...candidate.state, current };
      if (current > bestCurrent) {
        bestCurrent = current;
        best = candidate;
      }
    }
    const chosen = best ?? (eligible[0] as Candidate);
    const own = members[chosen.member.id] ?? chosen.state;
    members[chosen.member.id] = { ...own, current: own.current - total };
    return chosen;
  }

  /**
   * Fewest leads in the window wins, ties by rotation. A member back from time off (or newly
   * added) is first credited up to the least-loaded colleague's count, so a week away does not
   * earn a week's worth of leads in a row.
   */
  private leastLoaded(
    eligible: readonly Candidate[],
    members: Record<string, MemberState>,
    loads: Record<string, number>,
    now: number,
  ): Candidate {
    const since = now - this.window;
    const counts = eligible.map((c) => loadSince(c.state.load, since, this.bucket));
    let floor = Number.POSITIVE_INFINITY;
    eligible.forEach((c, i) => {
      if (!c.state.away) floor = Math.min(floor, counts[i] ?? 0);
    });
    let best: Candidate | undefined;
    let bestCount = Number.POSITIVE_INFINITY;
    eligible.forEach((candidate, i) => {
      let count = counts[i] ?? 0;
      let own = candidate.state;
      if (own.away) {
        const credit = Number.isFinite(floor) ? Math.max(0, floor - count) : 0;
        own = { ...own, away: false, load: this.addLoad(own.load, now, credit) };
        count += credit;
        members[candidate.member.id] = own;
      }
      loads[candidate.member.id] = count;
      if (
        count < bestCount ||
        (count === bestCount && best !== undefined && rank(candidate.state) < rank(best.state))
      ) {
        bestCount = count;
        best = { ...candidate, state: own };
      }
    });
    return best ?? (eligible[0] as Candidate);
  }

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
      load: this.base === 'load_balanced' ? this.addLoad(own.load, now, 1) : [],
      away: false,
    };
  }

  private addLoad(
    load: readonly [number, number][],
    now: number,
    leads: number,
  ): [number, number][] {
    const since = now - this.window;
    const kept = load.filter(([start]) => start + this.bucket > since);
    if (leads === 0) return kept;
    const start = now - (now % this.bucket);
    const last = kept[kept.length - 1];
    if (last !== undefined && last[0] === start) kept[kept.length - 1] = [start, last[1] + leads];
    else kept.push([start, leads]);
    return kept;
  }
}

export type Distribution =
  | { kind: 'chosen'; member: CompiledMember; step: DistributionStep; state: QueueState }
  | { kind: 'none'; skipped: SkippedMember[]; state: QueueState };

interface Candidate {
  member: CompiledMember;
  index: number;
  state: MemberState;
}

/** Never-served members first, in list order; then whoever was served longest ago. */
function rank(state: MemberState): number {
  return state.last ?? Number.NEGATIVE_INFINITY;
}

function leastRecent(eligible: readonly Candidate[]): Candidate {
  let best = eligible[0] as Candidate;
  for (const candidate of eligible) {
    if (rank(candidate.state) < rank(best.state)) best = candidate;
  }
  return best;
}

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

function loadSince(load: readonly [number, number][], since: number, bucket: number): number {
  let count = 0;
  for (const [start, leads] of load) if (start + bucket > since) count += leads;
  return count;
}

function lacking(member: CompiledMember, skills: readonly string[]): string {
  const missing = skills.filter((s) => !member.skills.has(s));
  return `lacks skill${missing.length > 1 ? 's' : ''} ${missing.join(', ')}`;
}

export { countSince };

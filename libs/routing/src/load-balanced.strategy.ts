import {
  type Candidate,
  type DistributionStrategy,
  type Choice,
  rank,
} from './distribution.strategy';
import { LOAD_BUCKETS, type MemberState } from './queue.state';

/**
 * Fewest leads in the window wins, ties by rotation. A member back from time off (or newly
 * added) is first credited up to the least-loaded colleague's count, so a week away does not
 * earn a week's worth of leads in a row.
 */
export class LoadBalancedStrategy implements DistributionStrategy {
  private readonly bucket: number;

  /** `window`: the rolling period (ms) leads are counted in. */
  constructor(private readonly window: number) {
    this.bucket = Math.max(1, Math.floor(window / LOAD_BUCKETS));
  }

  pick(eligible: readonly Candidate[], _lead: unknown, now: number): Choice {
    const states: Record<string, MemberState> = {};
    const loads: Record<string, number> = {};
    const since = now - this.window;
    const counts = eligible.map((c) => this.loadSince(c.state.load, since));
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
        states[candidate.member.id] = own;
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
    return { chosen: best ?? (eligible[0] as Candidate), method: 'load_balanced', states, loads };
  }

  loadAfterLead(load: readonly [number, number][], now: number): [number, number][] {
    return this.addLoad(load, now, 1);
  }

  private loadSince(load: readonly [number, number][], since: number): number {
    let count = 0;
    for (const [start, leads] of load) if (start + this.bucket > since) count += leads;
    return count;
  }

  /** Adds `leads` at `now` to the bucket they fall in, dropping buckets the window has left. */
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

import type { Candidate, DistributionStrategy, Choice } from './distribution.strategy';
import type { MemberState } from './queue.state';

/**
 * Smooth weighted round-robin (as nginx does it): every eligible member gains its weight,
 * the highest total wins and gives back the sum. A 70/30 split then holds in every stretch of
 * ten leads, not just on average. Members who are away do not gain, so they return with no
 * backlog to catch up on.
 */
export class WeightedStrategy implements DistributionStrategy {
  pick(eligible: readonly Candidate[]): Choice {
    const states: Record<string, MemberState> = {};
    const weights: Record<string, number> = {};
    let total = 0;
    let best: Candidate | undefined;
    let bestCurrent = Number.NEGATIVE_INFINITY;
    for (const candidate of eligible) {
      const { member } = candidate;
      weights[member.id] = member.weight;
      total += member.weight;
      const current = candidate.state.current + member.weight;
      states[member.id] = { ...candidate.state, current };
      if (current > bestCurrent) {
        bestCurrent = current;
        best = candidate;
      }
    }
    const chosen = best ?? (eligible[0] as Candidate);
    const own = states[chosen.member.id] ?? chosen.state;
    states[chosen.member.id] = { ...own, current: own.current - total };
    return { chosen, method: 'weighted', states, weights };
  }

  loadAfterLead(): [number, number][] {
    return [];
  }
}

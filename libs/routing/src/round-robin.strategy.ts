import {
  type Candidate,
  type DistributionStrategy,
  type Choice,
  rank,
} from './distribution.strategy';

/** Whoever was served longest ago takes the lead. */
export class RoundRobinStrategy implements DistributionStrategy {
  pick(eligible: readonly Candidate[]): Choice {
    let chosen = eligible[0] as Candidate;
    for (const candidate of eligible) {
      if (rank(candidate.state) < rank(chosen.state)) chosen = candidate;
    }
    return { chosen, method: 'round_robin' };
  }

  loadAfterLead(): [number, number][] {
    return [];
  }
}

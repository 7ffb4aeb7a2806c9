import type { EnrichedLead } from '@lead-router/schemas';
import type { Candidate, DistributionStrategy, Choice } from './distribution.strategy';
import type { CompiledMember } from './member.availability';
import { resolvePath } from './path.resolver';

/**
 * The member who owns the lead's account takes it, named by member id or by one of its CRM
 * owner ids. When the lead names no owner, the owner cannot take it now, or is not in the
 * queue (recorded as a skip), the `fallback` method decides.
 */
export class AccountOwnerStrategy implements DistributionStrategy {
  private readonly ownerPath: readonly string[];

  constructor(
    private readonly queue: string,
    private readonly members: readonly CompiledMember[],
    ownerPath: string,
    private readonly fallback: DistributionStrategy,
  ) {
    this.ownerPath = ownerPath.split('.');
  }

  pick(eligible: readonly Candidate[], lead: EnrichedLead, now: number): Choice {
    const owner = resolvePath(lead, this.ownerPath);
    if (typeof owner !== 'string' || owner === '') return this.fallback.pick(eligible, lead, now);
    const member = this.members.find((m) => m.id === owner || m.ownerIds.has(owner));
    if (member === undefined) {
      const fallback = this.fallback.pick(eligible, lead, now);
      const stranger = {
        member: owner,
        reason: `account owner is not a member of queue ${this.queue}`,
      };
      return { ...fallback, skipped: [stranger, ...(fallback.skipped ?? [])] };
    }
    const chosen = eligible.find((c) => c.member === member);
    return chosen !== undefined
      ? { chosen, method: 'account_owner' }
      : this.fallback.pick(eligible, lead, now);
  }

  loadAfterLead(load: readonly [number, number][], now: number): [number, number][] {
    return this.fallback.loadAfterLead(load, now);
  }
}

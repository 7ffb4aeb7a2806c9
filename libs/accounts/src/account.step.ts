import type { EnrichmentStep, StepResult } from '@lead-router/enrich';
import type { Account, AccountMatch, EnrichedLead } from '@lead-router/schemas';
import type { AccountIndex } from './account.index';
import { registrableDomainOf } from './account-row.schema';

/**
 * The owner account_owner routing reads (`enrichment.account.owner`): the account's member id,
 * else its owner id at the first destination by name (a member is found by any of its owner ids).
 */
export function accountOwnerOf(account: Account): string | null {
  if (account.owner_member_id !== null) return account.owner_member_id;
  const first = Object.keys(account.owner_ids).sort()[0];
  return first === undefined ? null : account.owner_ids[first]!;
}

/**
 * Lead-to-account matching over the accounts in memory (`AccountIndex`): by the lead's company
 * domain, then its business email's registrable domain, then its company name. `skipped` when the
 * lead has none of them, `no_match` when no account fits.
 */
export class AccountStep implements EnrichmentStep {
  readonly name = 'account';

  constructor(private readonly accounts: AccountIndex) {}

  run({ lead, enrichment }: EnrichedLead): StepResult {
    const domains: string[] = [];
    if (enrichment.company_domain !== null) domains.push(enrichment.company_domain);
    if (enrichment.email_domain !== null && !enrichment.free_mail) {
      const domain = registrableDomainOf(enrichment.email_domain);
      if (domain !== null && !domains.includes(domain)) domains.push(domain);
    }
    if (domains.length === 0 && lead.company === null) return { status: 'skipped' };
    const found = this.accounts.match({ domains, company: lead.company });
    if (found === null) return { status: 'no_match' };
    const account: AccountMatch = {
      account_id: found.account.account_id,
      name: found.account.name,
      method: found.method,
      score: found.score,
      owner: accountOwnerOf(found.account),
      owner_ids: found.account.owner_ids,
    };
    return { status: 'ok', patch: { account } };
  }
}

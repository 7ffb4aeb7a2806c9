import type { EnrichedLead } from '@lead-router/schemas';
import disposableDomains from 'disposable-email-domains';
import roleLocalParts from 'role-based-email-addresses';
import { emailLocalPartOf } from './domain.extractor';
import type { EnrichmentStep, StepResult } from './enrichment.step';

// ~120,000 disposable domains (disposable-email-domains) and ~1,000 role local parts (Mixmax's
// role-based-email-addresses), loaded once per process.
const DISPOSABLE = new Set<string>(disposableDomains);
const ROLE = new Set<string>(roleLocalParts);

/** True when `domain` is a disposable (throwaway) mail provider. */
export function isDisposableDomain(domain: string): boolean {
  return DISPOSABLE.has(domain.toLowerCase());
}

/**
 * True when the local part names a role or a team rather than a person (`info`, `sales`,
 * `support`). A `+tag` is ignored: `sales+eu@` is still the sales team.
 */
export function isRoleLocalPart(localPart: string): boolean {
  const plus = localPart.indexOf('+');
  return ROLE.has((plus < 0 ? localPart : localPart.slice(0, plus)).toLowerCase());
}

/**
 * disposable and role_address from the email (free_mail is always set, since the company domain
 * depends on it); `skipped` without an email.
 */
export class MailFlagsStep implements EnrichmentStep {
  readonly name = 'mail_flags';

  run({ lead, enrichment }: EnrichedLead): StepResult {
    const domain = enrichment.email_domain;
    const localPart = emailLocalPartOf(lead.email);
    if (domain === null || localPart === null) return { status: 'skipped' };
    return {
      status: 'ok',
      patch: {
        disposable: isDisposableDomain(domain),
        role_address: isRoleLocalPart(localPart),
      },
    };
  }
}

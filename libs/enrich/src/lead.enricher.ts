import type { EnrichedLead, NormalizedLead } from '@lead-router/schemas';
import { emailDomainOf, websiteDomainOf } from './domain.extractor';
import { isFreeMailDomain } from './free-mail.detector';

/**
 * Adds what can be learned from the lead itself: its email domain, whether that is a free mail
 * provider, and the company's domain (the business email's, else the website's).
 */
export function enrich(lead: NormalizedLead, now: number): EnrichedLead {
  const emailDomain = emailDomainOf(lead.email);
  const freeMail = emailDomain !== null && isFreeMailDomain(emailDomain);
  const companyDomain =
    emailDomain !== null && !freeMail ? emailDomain : websiteDomainOf(lead.website);
  return {
    lead,
    enrichment: {
      email_domain: emailDomain,
      company_domain: companyDomain,
      free_mail: freeMail,
      enriched_at: now,
    },
  };
}

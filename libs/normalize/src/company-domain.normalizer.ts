import freeMailDomains from 'email-providers/all.json';
import { getDomain } from 'tldts';

const FREE_MAIL = new Set<string>(freeMailDomains);

export interface CompanyDomain {
  domain: string | null;
  /** A business email and the website name different registrable domains. */
  mismatch: boolean;
}

/** `https://shop.acme.co.uk/x` -> `acme.co.uk`, by the public suffix list (private ones too). */
function registrable(host: string): string | null {
  return getDomain(host, { allowPrivateDomains: true });
}

function businessDomainOf(email: string | null): string | null {
  if (email === null) return null;
  const host = email.slice(email.lastIndexOf('@') + 1);
  const domain = registrable(host);
  if (domain === null || FREE_MAIL.has(host) || FREE_MAIL.has(domain)) return null;
  return domain;
}

/**
 * The company's registrable domain: a business email's first (free-mail providers, from the
 * maintained `email-providers` list, are nobody's company), else the website's. Both inputs are
 * already normalized.
 */
export function companyDomainOf(email: string | null, website: string | null): CompanyDomain {
  const fromEmail = businessDomainOf(email);
  const fromWebsite = website === null ? null : registrable(new URL(website).hostname);
  return {
    domain: fromEmail ?? fromWebsite,
    mismatch: fromEmail !== null && fromWebsite !== null && fromEmail !== fromWebsite,
  };
}

import freeMailDomains from 'email-providers/all.json';

// ~8,800 free, consumer and disposable mail domains, loaded once per process.
const FREE_MAIL = new Set<string>(freeMailDomains);

/** True when `domain` is a free or consumer mail provider (gmail.com, gmx.de, ...). */
export function isFreeMailDomain(domain: string): boolean {
  return FREE_MAIL.has(domain.toLowerCase());
}

/** The domain of an email address, lower-cased; null when there is none. */
export function emailDomainOf(email: string | null): string | null {
  if (email === null) return null;
  const at = email.lastIndexOf('@');
  const domain = at < 0 ? '' : email.slice(at + 1).toLowerCase();
  return domain === '' ? null : domain;
}

/** The local part of an email address (before the last @), lower-cased; null without one. */
export function emailLocalPartOf(email: string | null): string | null {
  if (email === null) return null;
  const at = email.lastIndexOf('@');
  return at <= 0 ? null : email.slice(0, at).toLowerCase();
}

/**
 * The host of a website URL without a leading `www.`, lower-cased; null when it does not parse.
 * This is the host, not the public-suffix registrable domain: `shop.acme.co.uk` stays as it is.
 */
export function websiteDomainOf(website: string | null): string | null {
  if (website === null) return null;
  const url = URL.parse(/^[a-z][a-z0-9+.-]*:\/\//i.test(website) ? website : `https://${website}`);
  if (url === null || url.hostname === '') return null;
  return url.hostname.toLowerCase().replace(/^www\./, '');
}

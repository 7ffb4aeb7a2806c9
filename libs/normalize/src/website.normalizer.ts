import { issue, type Cleaned } from './normalize-issue.type';
import { normalizeText } from './text.normalizer';

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Makes a website an absolute http(s) URL: adds `https://` when the scheme is missing; the URL
 * parser lower-cases the host and writes an internationalized one in punycode. A bare origin
 * loses its trailing slash.
 */
export function normalizeWebsite(raw: string | null): Cleaned<string> {
  const text = normalizeText(raw) ?? '';
  if (text === '') return { value: null };
  const url = URL.parse(HAS_SCHEME.test(text) ? text : `https://${text}`);
  if (
    url === null ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    !url.hostname.includes('.') ||
    url.hostname.endsWith('.') ||
    url.username !== '' ||
    /\s/.test(text)
  ) {
    return { value: null, issue: issue('website', 'invalid_website', 'not a valid URL') };
  }
  const href = url.href;
  return { value: url.pathname === '/' && !url.search && !url.hash ? href.slice(0, -1) : href };
}

import type { Cleaned } from './normalize-issue.type';

const HAS_SCHEME = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * Makes a website an absolute http(s) URL: adds `https://` when the scheme is missing; the URL
 * parser lower-cases the host. A bare origin loses its trailing slash.
 */
export function normalizeWebsite(raw: string | null): Cleaned<string> {
  const text = raw?.trim() ?? '';
  if (text === '') return { value: null };
  const url = URL.parse(HAS_SCHEME.test(text) ? text : `https://${text}`);
  if (
    url === null ||
    (url.protocol !== 'https:' && url.protocol !== 'http:') ||
    !url.hostname.includes('.') ||
    url.hostname.endsWith('.') ||
    /\s/.test(text)
  ) {
    return {
      value: null,
      issue: { field: 'website', code: 'invalid_website', message: 'website: not a valid URL' },
    };
  }
  const href = url.href;
  return { value: url.pathname === '/' && !url.search && !url.hash ? href.slice(0, -1) : href };
}

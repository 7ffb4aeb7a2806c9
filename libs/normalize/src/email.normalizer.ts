import { domainToASCII } from 'node:url';
import { parse } from 'tldts';
import { issue, type Cleaned } from './normalize-issue.type';
import { normalizeText } from './text.normalizer';

// RFC 5322 atext and dots (not first, last or doubled), plus any letter or digit (RFC 6531).
const LOCAL_PART = /^(?!\.)(?!.*\.\.)(?!.*\.$)[\p{L}\p{N}!#$%&'*+/=?^_`{|}~.-]{1,64}$/u;
const LABEL = /^(?!-)[a-z0-9-]{1,63}(?<!-)$/;

/** `Ada <ada@x.io>` and `mailto:ada@x.io` as partner files and form tools send them. */
function addressOf(text: string): string {
  const angled = /<([^<>\s]+)>\s*$/.exec(text);
  return (angled?.[1] ?? text).replace(/^mailto:/i, '');
}

function asciiDomain(domain: string): string | null {
  const ascii = domainToASCII(domain.toLowerCase());
  if (ascii === '' || ascii.length > 253) return null;
  const labels = ascii.split('.');
  if (labels.length < 2 || !labels.every((label) => LABEL.test(label))) return null;
  // A TLD that is in no public suffix list (`gmail.con`, `acme.local`) takes no mail.
  return parse(ascii).isIcann === true ? ascii : null;
}

/**
 * Trims an email (NFC), lower-cases its domain and writes an internationalized domain in punycode
 * (`node:url` domainToASCII); the local part stays as typed, since only the receiving server may
 * read it. Checks the syntax and that the TLD exists; unusable input gives null and an issue.
 */
export function normalizeEmail(raw: string | null): Cleaned<string> {
  const clean = normalizeText(raw);
  const text = clean === null ? '' : addressOf(clean);
  if (text === '') return { value: null };
  const at = text.lastIndexOf('@');
  const local = text.slice(0, at);
  const domain = at > 0 && LOCAL_PART.test(local) ? asciiDomain(text.slice(at + 1)) : null;
  if (domain !== null) return { value: `${local}@${domain}` };
  return { value: null, issue: issue('email', 'invalid_email', 'not a valid address') };
}

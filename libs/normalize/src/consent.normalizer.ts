import { issue, type NormalizeIssue } from './normalize-issue.type';
import { cleanText, foldKey } from './text.normalizer';

const CONSENT_FIELD =
  /consent|optin|optout|gdpr|dsgvo|newsletter|subscribe|marketingpermission|acceptsmarketing|emailpermission/;
const YES = new Set([
  'true',
  'yes',
  'y',
  '1',
  'on',
  'checked',
  'agreed',
  'accepted',
  'granted',
  'x',
  'ja',
  'oui',
  'si',
  'sí',
]);
const NO = new Set([
  'false',
  'no',
  'n',
  '0',
  'off',
  'unchecked',
  'declined',
  'denied',
  'nein',
  'non',
]);

export interface NormalizedConsent {
  consent: Record<string, boolean>;
  issue?: NormalizeIssue;
}

/**
 * Consent and opt-in fields (any name with consent, opt-in/out, GDPR, newsletter, subscribe) as
 * booleans, keyed by the field's name in lower snake case. An opt-out field keeps its meaning:
 * `opt_out: yes` is `opt_out: true`. A value that is neither yes nor no is left out, flagged.
 */
export function normalizeConsent(attributes: Readonly<Record<string, string>>): NormalizedConsent {
  const consent: Record<string, boolean> = {};
  let unreadable = false;
  for (const [name, raw] of Object.entries(attributes)) {
    if (!CONSENT_FIELD.test(foldKey(name))) continue;
    const key = name
      .trim()
      .replace(/([a-z])([A-Z])/g, '$1_$2')
      .toLowerCase()
      .replace(/[^\p{L}\p{N}]+/gu, '_')
      .replace(/^_|_$/g, '');
    const value = cleanText(raw).toLowerCase();
    if (YES.has(value)) consent[key] = true;
    else if (NO.has(value)) consent[key] = false;
    else unreadable = true;
  }
  if (!unreadable) return { consent };
  return {
    consent,
    issue: issue('consent', 'unreadable_consent', 'a consent field is neither yes nor no'),
  };
}

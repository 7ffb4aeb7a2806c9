import countries from 'i18n-iso-countries';
import type { Cleaned } from './normalize-issue.type';

// Names people type that are neither ISO codes nor the English names i18n-iso-countries knows.
const ALIASES: ReadonlyMap<string, string> = new Map([
  ['USA', 'US'],
  ['U.S.', 'US'],
  ['U.S.A.', 'US'],
  ['AMERICA', 'US'],
  ['UNITED STATES OF AMERICA', 'US'],
  ['UK', 'GB'],
  ['U.K.', 'GB'],
  ['GREAT BRITAIN', 'GB'],
  ['BRITAIN', 'GB'],
  ['ENGLAND', 'GB'],
  ['SCOTLAND', 'GB'],
  ['WALES', 'GB'],
  ['NORTHERN IRELAND', 'GB'],
  ['HOLLAND', 'NL'],
  ['THE NETHERLANDS', 'NL'],
  ['UAE', 'AE'],
]);

function alpha2Of(text: string): string | undefined {
  const upper = text.toUpperCase();
  const alias = ALIASES.get(upper);
  if (alias !== undefined) return alias;
  if (/^[A-Z]{2}$/.test(upper)) return countries.isValid(upper) ? upper : undefined;
  if (/^[A-Z]{3}$/.test(upper)) return countries.alpha3ToAlpha2(upper);
  return countries.getAlpha2Code(text, 'en');
}

/** Accepts ISO alpha-2, alpha-3, an English name or a common alias; returns upper-case alpha-2. */
export function normalizeCountry(raw: string | null): Cleaned<string> {
  const text = raw?.trim().replace(/\s+/g, ' ') ?? '';
  if (text === '') return { value: null };
  const alpha2 = alpha2Of(text);
  if (alpha2 !== undefined) return { value: alpha2 };
  return {
    value: null,
    issue: { field: 'country', code: 'unknown_country', message: 'country: not a known country' },
  };
}

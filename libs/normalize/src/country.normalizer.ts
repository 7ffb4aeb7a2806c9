import countries from 'i18n-iso-countries';
import { issue, type Cleaned } from './normalize-issue.type';
import { foldKey, normalizeText } from './text.normalizer';

/**
 * What people type that none of i18n-iso-countries' 78 locales lists (checked against 7.14.0).
 * Keys are folded (see foldKey). Korea alone is read as South Korea: that is what B2B forms mean.
 */
const VARIANTS: Readonly<Record<string, string>> = {
  uk: 'GB',
  england: 'GB',
  scotland: 'GB',
  wales: 'GB',
  northernireland: 'GB',
  america: 'US',
  etatsunis: 'US',
  korea: 'KR',
  한국: 'KR',
  drc: 'CD',
  drcongo: 'CD',
  bosnia: 'BA',
  vatican: 'VA',
  saotome: 'ST',
  ksa: 'SA',
  emirates: 'AE',
  ประเทศไทย: 'TH',
};

/** German umlauts as typed on keyboards without them: Österreich -> Oesterreich. */
function transliterated(name: string): string {
  return name
    .replace(/ä/g, 'ae')
    .replace(/ö/g, 'oe')
    .replace(/ü/g, 'ue')
    .replace(/Ä/g, 'Ae')
    .replace(/Ö/g, 'Oe')
    .replace(/Ü/g, 'Ue')
    .replace(/ß/g, 'ss');
}

/**
 * Every name and alias of every locale the package ships, folded, to its alpha-2. English is
 * read first and a name claimed by an earlier locale keeps its country: a few locales list one
 * name for two countries (`Congo` is CG in English, both Congos elsewhere).
 */
function namesIndex(): Map<string, string> {
  const index = new Map<string, string>();
  const langs = countries.getSupportedLanguages();
  for (const lang of ['en', ...langs.filter((l) => l !== 'en')]) {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    countries.registerLocale(require(`i18n-iso-countries/langs/${lang}.json`));
    for (const [alpha2, list] of Object.entries(countries.getNames(lang, { select: 'all' }))) {
      for (const name of list) {
        for (const spelling of [name, transliterated(name)]) {
          const key = foldKey(spelling.replace(/^the\s+/i, ''));
          if (key !== '' && !index.has(key)) index.set(key, alpha2);
        }
      }
    }
  }
  for (const [key, alpha2] of Object.entries(VARIANTS)) index.set(key, alpha2);
  return index;
}

// Built when the module loads (about 0.1 s), not on the first lead.
const NAMES = namesIndex();

function alpha2Of(text: string): string | undefined {
  if (/^\d{1,3}$/.test(text)) return countries.numericToAlpha2(text.padStart(3, '0'));
  const key = foldKey(text.replace(/^the\s+/i, ''));
  const code = key.toUpperCase();
  if (/^[A-Z]{2}$/.test(code) && countries.isValid(code)) return code;
  if (/^[A-Z]{3}$/.test(code)) {
    const alpha2 = countries.alpha3ToAlpha2(code);
    if (alpha2 !== undefined) return alpha2;
  }
  return NAMES.get(key);
}

/**
 * ISO alpha-2, alpha-3 or numeric code, or a name in any of i18n-iso-countries' locales (any
 * case, with or without accents and punctuation: `U.S.A.`, `Deutschland`, `Côte d'Ivoire`,
 * `日本`), or a common variant; returns upper-case alpha-2.
 */
export function normalizeCountry(raw: string | null): Cleaned<string> {
  const text = normalizeText(raw);
  if (text === null) return { value: null };
  const alpha2 = alpha2Of(text);
  if (alpha2 !== undefined) return { value: alpha2 };
  return { value: null, issue: issue('country', 'unknown_country', 'not a known country') };
}

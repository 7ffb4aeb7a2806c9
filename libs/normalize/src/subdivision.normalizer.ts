import { iso31662 } from 'iso-3166';
import { issue, type Cleaned } from './normalize-issue.type';
import { foldKey, normalizeText } from './text.normalizer';

interface SubdivisionIndex {
  codes: Set<string>;
  /** `DE:bayern` -> DE-BY: names folded, per country. */
  names: Map<string, string>;
}

/** Each name as listed, without its parenthesis, and each part of `A / B` or `A; B`. */
function spellings(name: string): string[] {
  const bare = name.replace(/\s*[([].*?[)\]]\s*/g, ' ');
  return [name, bare, ...name.split(/\s*[/;]\s*/)];
}

function subdivisionIndex(): SubdivisionIndex {
  const codes = new Set<string>();
  const names = new Map<string, string>();
  for (const { code, name } of iso31662) {
    codes.add(code);
    const country = code.slice(0, 2);
    for (const spelling of spellings(name)) {
      const key = `${country}:${foldKey(spelling)}`;
      if (!key.endsWith(':') && !names.has(key)) names.set(key, code);
    }
  }
  return { codes, names };
}

// Built when the module loads, not on the first lead.
const { codes, names } = subdivisionIndex();

/**
 * A state, province or region as its ISO 3166-2 code: the full code (`US-CA`), the code within
 * the lead's country (`CA` for US) or the name the iso-3166 package lists (`Bayern`,
 * `Île-de-France`, `Hokkaido`, in any case, with or without accents). Names are ISO's, mostly in
 * the local language: `Bavaria` is not known. Without a country only a full code is read.
 */
export function normalizeSubdivision(raw: string | null, country: string | null): Cleaned<string> {
  const text = normalizeText(raw);
  if (text === null) return { value: null };
  const code = text.toUpperCase().replace(/\s+/g, '');
  if (/^[A-Z]{2}-[A-Z0-9]{1,3}$/.test(code) && codes.has(code)) {
    if (country === null || code.startsWith(`${country}-`)) return { value: code };
  } else if (country !== null) {
    if (/^[A-Z0-9]{1,3}$/.test(code) && codes.has(`${country}-${code}`)) {
      return { value: `${country}-${code}` };
    }
    const byName = names.get(`${country}:${foldKey(text)}`);
    if (byName !== undefined) return { value: byName };
  }
  return {
    value: null,
    issue: issue('subdivision', 'unknown_subdivision', 'not a known subdivision of the country'),
  };
}

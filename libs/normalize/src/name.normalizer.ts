import namecase from 'namecase';
import { parseFullName } from 'parse-full-name';
import { normalizeText } from './text.normalizer';

export interface NormalizedName {
  first: string | null;
  last: string | null;
  /** The name was split from a full name (or the one name field given held several words). */
  split: boolean;
}

// Scripts that write the family name first (Chinese, Japanese, Korean).
const FAMILY_NAME_FIRST =
  /[\p{Script=Han}\p{Script=Hiragana}\p{Script=Katakana}\p{Script=Hangul}]/u;
const GENERATION = /^(jr|sr|ii|iii|iv)\.?$/i;

/**
 * Capitalizes a name typed all upper or all lower case with namecase (`o'brien` -> `O'Brien`,
 * `MCDONALD` -> `McDonald`, `VAN DER BERG` -> `Van der Berg`); a name typed in mixed case is
 * how its owner writes it and stays as it is.
 */
export function fixNameCase(name: string): string {
  return typedInOneCase(name) ? namecase(name) : name;
}

/** All upper or all lower case, with at least one letter that has a case. */
function typedInOneCase(name: string): boolean {
  const upper = name.toUpperCase();
  const lower = name.toLowerCase();
  return upper !== lower && (name === upper || name === lower);
}

// Particles that start a surname: `van der Berg`, `de la Cruz`, `von Trapp`, `bin Rashid`.
const LEADING_PARTICLE =
  /^(van|von|de|der|den|del|della|di|da|du|des|la|le|ten|ter|zu|dos|das|do|bin|ibn)(?= \S)/i;

function present(text: string | null): string | null {
  return text === null || text === '' ? null : fixNameCase(text);
}

/**
 * A last name case-fixed as it reads after the first name, its leading particle in lower case
 * (`VAN DER BERG` -> `van der Berg`), as in the split of a full name.
 */
function presentLast(text: string | null): string | null {
  const fixed = present(text);
  if (fixed === null || fixed === text) return fixed;
  return fixed.replace(LEADING_PARTICLE, (particle) => particle.toLowerCase());
}

/**
 * A full name as first and last name. Han, kana and Hangul names put the family name first; one
 * that is written without a space cannot be split safely and goes whole to the last name, which
 * CRMs require. Elsewhere parse-full-name reads titles, particles (`Jan van der Berg`) and
 * `Last, First`; titles are dropped, generational suffixes (Jr., III) kept with the last name.
 */
export function splitFullName(full: string): { first: string | null; last: string | null } {
  if (FAMILY_NAME_FIRST.test(full)) {
    const [family = '', ...given] = full.split(' ');
    return { first: given.length > 0 ? given.join(' ') : null, last: family };
  }
  const parsed = parseFullName(full, 'all', 0);
  const first = [parsed.first, parsed.middle].filter((part) => part !== '').join(' ');
  const suffix = GENERATION.test(parsed.suffix) ? parsed.suffix : '';
  const last = [parsed.last, suffix].filter((part) => part !== '').join(' ');
  if (first === '' && last === '') return { first: null, last: full };
  // Typed in mixed case (`María José GARCÍA`), the name is written as its owner wants it.
  if (!typedInOneCase(`${first} ${last}`)) {
    return { first: first === '' ? null : first, last: last === '' ? null : last };
  }
  return { first: present(first), last: presentLast(last) };
}

/**
 * First and last name, cleaned and case-fixed. When neither is given the full name is split;
 * when only one is given and it holds several words, it is taken as a full name.
 */
export function normalizeName(
  rawFirst: string | null,
  rawLast: string | null,
  rawFull: string | null,
): NormalizedName {
  const first = normalizeText(rawFirst);
  const last = normalizeText(rawLast);
  const full = first === null && last === null ? normalizeText(rawFull) : (first ?? last);
  if ((first === null || last === null) && full !== null && full.includes(' ')) {
    const name = splitFullName(full);
    return { first: name.first, last: name.last, split: true };
  }
  if (first === null && last === null && full !== null) {
    return { first: null, last: fixNameCase(full), split: true };
  }
  return { first: present(first), last: presentLast(last), split: false };
}

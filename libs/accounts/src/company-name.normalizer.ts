/**
 * Legal forms removed from the end of a company name, as token sequences once punctuation is
 * folded (`S.A.R.L.` -> `sarl`, `Pty. Ltd.` -> `pty ltd`). Longest first, so `gmbh co kg` goes
 * whole. They are removed only at the end and never leave the name empty: `AG` alone stays.
 */
const LEGAL_FORMS: readonly (readonly string[])[] = [
  'gmbh and co kg',
  'gmbh co kg',
  'gmbh and co kgaa',
  'gmbh co kgaa',
  'ag and co kg',
  'ag co kg',
  'pty ltd',
  'pvt ltd',
  'private limited',
  'public limited company',
  'limited liability company',
  'kabushiki kaisha',
  'co ltd',
  'co kg',
  'co inc',
  's a',
  'inc',
  'incorporated',
  'corp',
  'corporation',
  'co',
  'company',
  'llc',
  'llp',
  'lp',
  'ltd',
  'limited',
  'plc',
  'gmbh',
  'mbh',
  'ag',
  'kg',
  'kgaa',
  'ug',
  'ohg',
  'se',
  'sa',
  'sas',
  'sarl',
  'srl',
  'spa',
  'sl',
  'slu',
  'sau',
  'bv',
  'nv',
  'oy',
  'oyj',
  'ab',
  'as',
  'asa',
  'aps',
  'kk',
  'pte',
  'pty',
  'ltda',
  'sro',
  'zoo',
  'sp',
]
  .map((form) => form.split(' '))
  .sort((a, b) => b.length - a.length);

/** Letters NFKD does not decompose into a base letter and a mark. */
const FOLDED: Readonly<Record<string, string>> = {
  ß: 'ss',
  æ: 'ae',
  ø: 'o',
  œ: 'oe',
  ł: 'l',
  đ: 'd',
  ð: 'd',
  þ: 'th',
  ı: 'i',
};

function endsWith(tokens: readonly string[], form: readonly string[]): boolean {
  if (form.length >= tokens.length) return false;
  const start = tokens.length - form.length;
  return form.every((t, i) => tokens[start + i] === t);
}

/**
 * A company name reduced to what identifies it, for matching: accents and case folded, `&` read
 * as `and`, dots and apostrophes dropped (`S.A.` -> `sa`, `O'Neil` -> `oneil`), other
 * punctuation read as a space, and legal forms at the end removed, repeatedly (`Acme Holdings
 * Pty. Ltd.` -> `acme holdings`, `ACME, Inc.` -> `acme`). Empty when nothing is left.
 */
export function normalizeCompanyName(name: string): string {
  const folded = name
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/[ßæøœłđðþı]/g, (c) => FOLDED[c] ?? c)
    .replace(/&/g, ' and ')
    .replace(/[.'’`]/g, '')
    .replace(/[^\p{L}\p{N}]+/gu, ' ')
    .trim();
  if (folded === '') return '';
  const tokens = folded.split(' ');
  for (;;) {
    const form = LEGAL_FORMS.find((f) => endsWith(tokens, f));
    if (form === undefined) break;
    tokens.length -= form.length;
  }
  return tokens.join(' ');
}

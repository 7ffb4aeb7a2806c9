/**
 * What partner files and CRM exports put in an empty cell. `NA` is not among them: it is Namibia's
 * country code.
 */
const PLACEHOLDERS = new Set([
  '-',
  '--',
  '---',
  '.',
  '?',
  'n/a',
  'n.a.',
  'null',
  'none',
  'nil',
  'undefined',
  'unknown',
  '#n/a',
]);

/**
 * Printable ASCII words with single spaces between them: what most fields hold, and already what
 * `cleanText` would make of them (NFC leaves ASCII alone), so it is returned as it is.
 */
const CLEAN_ASCII = /^(?:[\x21-\x7e]+(?: [\x21-\x7e]+)*)?$/;
/** ASCII only: `foldKey` needs no Unicode decomposition or classes for it. */
const ASCII = /^[^\u0080-\uffff]*$/;

/** Unicode NFC, every run of whitespace (including no-break and zero-width spaces) one space. */
export function cleanText(raw: string): string {
  if (CLEAN_ASCII.test(raw)) return raw;
  return raw
    .normalize('NFC')
    .replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/g, '')
    .replace(/\s+/g, ' ')
    .trim();
}

/** Trims and collapses whitespace in NFC; blank and placeholders (`N/A`, `null`, `-`) become null. */
export function normalizeText(raw: string | null | undefined): string | null {
  if (raw === null || raw === undefined) return null;
  const text = cleanText(raw);
  return text === '' || PLACEHOLDERS.has(text.toLowerCase()) ? null : text;
}

/**
 * Like normalizeText, but keeps line breaks (at most one blank line in a row), since a free-text
 * message's paragraphs matter to whoever reads it.
 */
export function normalizeMessage(raw: string | null): string | null {
  if (raw === null) return null;
  const text = raw
    .normalize('NFC')
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return text === '' ? null : text;
}

/** Lower case without accents or anything but letters and digits: `Côte d'Ivoire` -> `cotedivoire`. */
export function foldKey(text: string): string {
  if (ASCII.test(text)) {
    return text
      .toLowerCase()
      .replace(/&/g, ' and ')
      .replace(/[^a-z0-9]+/g, '');
  }
  return text
    .normalize('NFKD')
    .replace(/\p{M}/gu, '')
    .toLowerCase()
    .replace(/&/g, ' and ')
    .replace(/[^\p{L}\p{N}]+/gu, '');
}

/** Trims and collapses every run of whitespace to one space; blank becomes null. */
export function normalizeText(raw: string | null): string | null {
  const text = raw?.replace(/\s+/g, ' ').trim() ?? '';
  return text === '' ? null : text;
}

/**
 * Like normalizeText, but keeps line breaks (at most one blank line in a row), since a free-text
 * message's paragraphs matter to whoever reads it.
 */
export function normalizeMessage(raw: string | null): string | null {
  if (raw === null) return null;
  const text = raw
    .split(/\r\n|\r|\n/)
    .map((line) => line.replace(/\s+/g, ' ').trim())
    .join('\n')
    .replace(/\n{3,}/g, '\n\n')
    .trim();
  return text === '' ? null : text;
}

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { cleanText, foldKey, normalizeMessage, normalizeText } from './text.normalizer';

describe('normalizeText', () => {
  const sut = normalizeText;

  it('trims and collapses whitespace', () => {
    assert.equal(sut('  Ada \t  King\nLovelace '), 'Ada King Lovelace');
  });

  it('turns blank into null', () => {
    assert.equal(sut(' \n '), null);
    assert.equal(sut(null), null);
  });

  it('composes to NFC and drops zero-width characters', () => {
    assert.equal(sut('Le\u0301a\u200b\u00a0Mu\u0308ller'), 'Léa Müller');
  });

  it('treats what spreadsheets put in empty cells as absent, but not NA', () => {
    for (const placeholder of ['N/A', 'null', '-', 'None', '#N/A']) {
      assert.equal(sut(placeholder), null, placeholder);
    }
    assert.equal(sut('NA'), 'NA');
  });
});

describe('normalizeMessage', () => {
  const sut = normalizeMessage;

  it('collapses spaces but keeps paragraphs', () => {
    assert.equal(
      sut('  Hello   there,\r\n\r\n\r\n\r\n  we need  a demo.  \n'),
      'Hello there,\n\nwe need a demo.',
    );
  });

  it('turns blank into null', () => {
    assert.equal(sut('\n \n'), null);
  });
});

describe('cleanText and foldKey: the ASCII shortcuts', () => {
  // The Unicode path of each, as it was before the shortcuts: what every input must still get.
  const unicodeClean = (raw: string) =>
    raw
      .normalize('NFC')
      .replace(/[\u200B-\u200D\u2060\uFEFF\u00AD]/g, '')
      .replace(/\s+/g, ' ')
      .trim();
  const unicodeFold = (text: string) =>
    text
      .normalize('NFKD')
      .replace(/\p{M}/gu, '')
      .toLowerCase()
      .replace(/&/g, ' and ')
      .replace(/[^\p{L}\p{N}]+/gu, '');
  // Mostly ASCII (spaces, tabs, line breaks, punctuation, `&`), with some accents, no-break and
  // zero-width spaces, as partner files and forms hold.
  const field = fc.string({
    unit: fc.oneof(
      { weight: 8, arbitrary: fc.constantFrom(' ', '  ', '\t', '\n', '&', '-', "'", '.') },
      { weight: 20, arbitrary: fc.string({ unit: 'grapheme-ascii', minLength: 1, maxLength: 6 }) },
      { weight: 2, arbitrary: fc.constantFrom('é', 'e\u0301', 'ß', 'ﬁ', '\u00a0', '\u200b', 'Ü') },
      { weight: 1, arbitrary: fc.string({ unit: 'grapheme', maxLength: 3 }) },
    ),
    maxLength: 12,
  });

  it('give every input what the Unicode path gives it', () => {
    fc.assert(
      fc.property(field, (raw) => {
        assert.equal(cleanText(raw), unicodeClean(raw));
        assert.equal(foldKey(raw), unicodeFold(raw));
      }),
      { numRuns: 5_000 },
    );
    for (const raw of [
      'Ada Lovelace',
      ' Ada',
      'Ada ',
      'A  B',
      'A\tB',
      '',
      'AT&T Inc.',
      'Côte d’Ivoire',
    ]) {
      assert.equal(cleanText(raw), unicodeClean(raw), raw);
      assert.equal(foldKey(raw), unicodeFold(raw), raw);
    }
  });
});

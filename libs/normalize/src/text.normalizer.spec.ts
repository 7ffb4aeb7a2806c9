import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { normalizeMessage, normalizeText } from './text.normalizer';

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

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

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { v5 as uuidv5, validate, version } from 'uuid';
import { LEAD_ID_NAMESPACE, leadIdFor, randomLeadId } from './lead-id.generator';

let seed = 20261202;

/** Code points of every plane (a fixed sequence), surrogates left out: they are refused, below. */
function randomCodePoints(count: number): number[] {
  return Array.from({ length: count }, () => {
    seed = (seed * 1103515245 + 12345) % 2 ** 31;
    const cp = seed % 0x110000;
    return cp >= 0xd800 && cp <= 0xdfff ? cp - 0x800 : cp;
  });
}

describe('leadIdFor', () => {
  const sut = leadIdFor;

  it('uses the documented namespace', () => {
    assert.equal(LEAD_ID_NAMESPACE, uuidv5('https://lead-router.dev/ns/lead-id', uuidv5.URL));
  });

  it('gives the same v5 id for the same source and key', () => {
    const id = sut('web-form', 'abc-123');
    assert.equal(id, sut('web-form', 'abc-123'));
    assert.equal(version(id), 5);
    assert.equal(id, uuidv5('web-form\u0000abc-123', LEAD_ID_NAMESPACE));
  });

  it('gives the id uuid v5 gives, for keys of every length and script', () => {
    const keys = [
      '',
      'x',
      '0'.repeat(55),
      '0'.repeat(56),
      'é'.repeat(300),
      '😀'.repeat(1100),
      '中文-😀-ß',
      '\u0000\uffff',
    ];
    for (let i = 0; i < 200; i++) keys.push(String.fromCodePoint(...randomCodePoints(i % 40)));
    for (const key of keys) {
      assert.equal(sut('partner-acme', key), uuidv5(`partner-acme\u0000${key}`, LEAD_ID_NAMESPACE));
    }
  });

  it('separates sources and keys that would concatenate alike', () => {
    assert.notEqual(sut('a', 'b:c'), sut('a:b', 'c'));
    assert.notEqual(sut('web-form', 'k'), sut('partner', 'k'));
  });

  it('keeps the id of every well-formed key, astral characters included', () => {
    assert.equal(sut('web-form', 'clé-😀'), uuidv5('web-form\u0000clé-😀', LEAD_ID_NAMESPACE));
  });

  // A lone surrogate is valid JSON (`"\ud800"`) but no UTF-8: uuid's encoder threw URIError.
  it('refuses a key holding a lone UTF-16 surrogate with a reason, not a URIError', () => {
    assert.throws(() => sut('web-form', 'abc\ud800'), {
      name: 'TypeError',
      message: 'a lead key must be well-formed Unicode; it holds a lone UTF-16 surrogate',
    });
  });

  it('gives random v4 ids for leads without a key', () => {
    const a = randomLeadId();
    assert.ok(validate(a));
    assert.equal(version(a), 4);
    assert.notEqual(a, randomLeadId());
  });
});

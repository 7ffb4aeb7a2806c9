import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Type } from 'avsc';

// patches/avsc+5.7.9.patch: a short ASCII string is written in one pass with its one-byte length,
// without asking Node for its UTF-8 length first (half of encoding a RoutedLead, which is mostly
// such strings). The bytes must stay Avro's: the zigzag varint of the UTF-8 length, then the bytes.
const zigzagVarint = (n: number): Buffer => {
  const out: number[] = [];
  let v = n * 2;
  while (v >= 0x80) {
    out.push((v & 0x7f) | 0x80);
    v = Math.floor(v / 128);
  }
  out.push(v);
  return Buffer.from(out);
};
const avro = (s: string) =>
  Buffer.concat([zigzagVarint(Buffer.byteLength(s)), Buffer.from(s, 'utf8')]);

describe('avsc strings (patched)', () => {
  const stringType = Type.forSchema('string');
  const record = Type.forSchema({
    type: 'record',
    name: 'R',
    fields: [
      { name: 'a', type: 'string' },
      { name: 'm', type: { type: 'map', values: 'string' } },
      { name: 'b', type: 'string' },
    ],
  });

  it('writes every string as Avro does, on both sides of 64 characters and of ASCII', () => {
    const samples: string[] = [];
    for (let n = 0; n <= 70; n++) {
      samples.push('a'.repeat(n), `${'b'.repeat(Math.max(0, n - 1))}\u007f`);
      if (n > 0) {
        samples.push(
          `${'c'.repeat(n - 1)}é`,
          `é${'d'.repeat(n - 1)}`,
          `${'e'.repeat(n - 1)}\u0080`,
        );
        samples.push(`${'f'.repeat(n - 1)}😀`, `${'g'.repeat(n - 1)}\u0000`);
      }
    }
    for (const s of samples) {
      assert.deepEqual(stringType.toBuffer(s), avro(s), JSON.stringify(s));
      assert.equal(stringType.fromBuffer(stringType.toBuffer(s)), s);
    }
  });

  it('writes records of short, long and non-ASCII strings and reads them back', () => {
    const value = {
      a: 'lead-00000000-0000-4000-8000-000000000001',
      m: { utm_source: 'newsletter', note: 'Zoë, Müller GmbH', long: 'x'.repeat(200) },
      b: '',
    };
    const expected = Buffer.concat([
      avro(value.a),
      zigzagVarint(3),
      ...Object.entries(value.m).flatMap(([k, v]) => [avro(k), avro(v)]),
      Buffer.from([0]),
      avro(value.b),
    ]);
    assert.deepEqual(record.toBuffer(value), expected);
    assert.deepEqual({ ...(record.fromBuffer(expected) as object) }, value);
  });

  it('answers a buffer too small with the bytes missing, as it did', () => {
    for (const s of ['abc', 'a'.repeat(63), 'é']) {
      const needed = avro(s).length;
      for (let size = 0; size < needed; size++) {
        const end = stringType.encode(s, Buffer.alloc(size), 0);
        assert.equal(end, size - needed, `${JSON.stringify(s)} into ${size} bytes`);
      }
      const exact = Buffer.alloc(needed);
      assert.equal(stringType.encode(s, exact, 0), needed);
      assert.deepEqual(exact, avro(s));
    }
  });
});

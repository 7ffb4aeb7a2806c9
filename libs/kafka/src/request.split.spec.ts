import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import type { OutgoingRecord } from './batching.producer';
import { MAX_REQUEST_BYTES, recordBytes, splitRequests } from './request.split';

const record = (key: string, valueBytes: number, headers?: Record<string, string>) => ({
  topic: 't',
  key,
  value: Buffer.alloc(valueBytes),
  ...(headers && { headers }),
});

const total = (part: readonly OutgoingRecord[]) => part.reduce((n, r) => n + recordBytes(r), 0);

describe('splitRequests: produce requests a broker takes', () => {
  it('leaves records under the bound in one request', () => {
    const records = Array.from({ length: 500 }, (_, i) => record(`k${i}`, 1_200));
    assert.deepEqual(splitRequests(records), [records]);
    assert.deepEqual(splitRequests([]), []);
  });

  it('cuts a backlog of large records into requests of at most MAX_REQUEST_BYTES, in order', () => {
    // 40 leads of 210 KB: 8.4 MB, which one request would send as batches over 1 MiB.
    const records = Array.from({ length: 40 }, (_, i) => record(`lead-${i}`, 210_000));
    const parts = splitRequests(records);
    assert.equal(parts.length, 10, 'four 210 KB records a request');
    assert.ok(parts.every((p) => total(p) <= MAX_REQUEST_BYTES));
    assert.deepEqual(parts.flat(), records);
  });

  it('counts keys, headers and each record’s framing, not only the values', () => {
    const r = record('é', 10, { 'lr-trace': 'ü'.repeat(5) });
    // 2 bytes of key, 10 of value, 8 + 10 of header and their 2 lengths, 32 of framing.
    assert.equal(recordBytes(r), 2 + 10 + 8 + 10 + 2 + 32);
    assert.equal(recordBytes({ topic: 't', key: null, value: null }), 32);
  });

  it('sends a record over the bound alone, so its refusal fails no other', () => {
    const records = [record('a', 10), record('huge', 1_500_000), record('b', 10)];
    assert.deepEqual(
      splitRequests(records).map((p) => p.map((r) => r.key)),
      [['a'], ['huge'], ['b']],
    );
  });

  it('cuts to the smallest record batch the topics of a request take', () => {
    // A topic whose max.message.bytes is 64 KiB, beside one on the broker's default.
    const limits: Record<string, number> = { small: 65_536, big: 1_048_588 };
    const at = (topic: string, key: string) => ({ ...record(key, 10_000), topic });
    const records = [
      ...Array.from({ length: 8 }, (_, i) => at('big', `b${i}`)),
      ...Array.from({ length: 8 }, (_, i) => at('small', `s${i}`)),
    ];
    const parts = splitRequests(records, (topic) => limits[topic]!);
    assert.deepEqual(parts.flat(), records);
    assert.ok(parts.every((p) => total(p) <= 65_536 - 61 || p.every((r) => r.topic === 'big')));
    assert.deepEqual(
      parts.map((p) => p.length),
      [8, 6, 2],
      'the big topic’s 8 alone (a small one would make the request too large for its topic)',
    );
  });

  it('keeps every record, in order, and no request over its topics’ bound holds two', () => {
    const topics = ['a', 'b', 'c'];
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.integer({ min: 0, max: 400_000 }), fc.constantFrom(...topics)), {
          maxLength: 60,
        }),
        fc.array(fc.integer({ min: 1_000, max: 2_000_000 }), { minLength: 3, maxLength: 3 }),
        (sized, maxes) => {
          const limitOf = (topic: string) => maxes[topics.indexOf(topic)]!;
          const boundOf = (part: readonly OutgoingRecord[]) =>
            Math.min(MAX_REQUEST_BYTES, ...part.map((r) => limitOf(r.topic) - 61));
          const records = sized.map(([n, topic], i) => ({ ...record(`k${i}`, n), topic }));
          const parts = splitRequests(records, limitOf);
          assert.deepEqual(parts.flat(), records);
          for (const p of parts) assert.ok(p.length === 1 || total(p) <= boundOf(p));
          // Greedy: a request and the first record of the next would not have fitted together.
          for (let i = 1; i < parts.length; i++) {
            const joined = [...parts[i - 1]!, parts[i]![0]!];
            assert.ok(total(joined) > boundOf(joined));
          }
        },
      ),
    );
  });
});

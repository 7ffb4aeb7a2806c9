import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

// kafkajs' record encoding, which patches/kafkajs+2.2.4.patch makes cheaper without changing a
// byte (docs/kafka-client.md): one exact-sized encoder per record with its headers written into
// it, encoders sized for what they hold and not zero-filled, and CRC-32C eight bytes a step.
// Every record every stage produces goes through these.
interface KafkaEncoder {
  readonly buffer: Buffer;
}
type Headers = Record<string, string | Buffer | (string | Buffer)[]>;
interface RecordFields {
  key?: Buffer | null;
  value: Buffer | null;
  headers?: Headers;
  offsetDelta?: number;
  timestampDelta?: number;
}
const internal = createRequire(__filename);
const Record = internal('kafkajs/src/protocol/recordBatch/record/v0') as (
  r: RecordFields,
) => KafkaEncoder;
const { RecordBatch } = internal('kafkajs/src/protocol/recordBatch/v0') as {
  RecordBatch(b: Record<string, unknown>): Promise<KafkaEncoder>;
};
const Produce = internal('kafkajs/src/protocol/requests/produce/v3/request') as (
  r: Record<string, unknown>,
) => { encode(): Promise<KafkaEncoder> };
const Long = internal('kafkajs/src/utils/long') as { fromValue(v: number): unknown };
const crc32C = internal('kafkajs/src/protocol/recordBatch/crc32C') as (b: Buffer) => number;

const digest = (b: Buffer) => createHash('sha256').update(b).digest('hex').slice(0, 32);
const bytes = (n: number, seed: number) =>
  Buffer.from(Array.from({ length: n }, (_, i) => (i * 31 + seed) & 255));

/**
 * What kafkajs 2.2.4 wrote for these records before this patch: the bytes when short, else the
 * first 128 bits of their SHA-256.
 */
const RECORDS: [string, RecordFields, number, string][] = [
  ['no key, no headers', { value: bytes(10, 1) }, 17, '20000000011401203f5e7d9cbbdaf91800'],
  [
    'key and value',
    { key: Buffer.from('lead-1'), value: bytes(100, 2), offsetDelta: 3, timestampDelta: 17 },
    115,
    'd172030f3413760962f372bf8c6c89d3',
  ],
  ['null key, null value', { key: null, value: null }, 7, '0c000000010100'],
  [
    'string headers',
    {
      key: Buffer.from('k'),
      value: bytes(40, 3),
      headers: { 'trace-id': 'abc', 'content-type': 'avro' },
    },
    80,
    '9c01000000026b50032241607f9ebddcfb1a39587796b5d4f31231506f8eadcceb0a29486786a5c4e30221405f7e9dbc041074726163652d69640661626318636f6e74656e742d74797065086176726f',
  ],
  [
    'buffer headers and a repeated header',
    { value: bytes(40, 4), headers: { a: Buffer.from([1, 2, 3]), b: ['x', 'yy', 'zzz'] } },
    69,
    '8601000000015004234261809fbeddfc1b3a597897b6d5f4133251708faecdec0b2a496887a6c5e4032241607f9ebd080261060102030262027802620479790262067a7a7a',
  ],
  [
    'unicode header key and value',
    { value: bytes(5, 5), headers: { 'clé-ü': 'värde ✓' } },
    31,
    '3c000000010a0524436281020e636cc3a92dc3bc1476c3a472646520e29c93',
  ],
  [
    'value over 512 bytes',
    {
      key: Buffer.from('k2'),
      value: bytes(1230, 6),
      headers: { h: 'v' },
      offsetDelta: 200,
      timestampDelta: 123456,
    },
    1248,
    'fb48764fc36656d0cc00ecdf5568a0f9',
  ],
  [
    'value over 4 KiB',
    { value: bytes(5000, 7), offsetDelta: 70000, timestampDelta: 2 ** 33 },
    5015,
    '76bf488be33d6eebd7269116d1ce105e',
  ],
  [
    'empty value and empty header value',
    { value: Buffer.alloc(0), headers: { e: '' } },
    10,
    '12000000010002026500',
  ],
];

/** CRC-32C a bit at a time from its polynomial (reflected 0x82F63B78): no table to share a bug. */
function crc32cBitwise(buffer: Buffer): number {
  let crc = 0xffffffff;
  for (const byte of buffer) {
    crc ^= byte;
    for (let k = 0; k < 8; k++) crc = crc & 1 ? (crc >>> 1) ^ 0x82f63b78 : crc >>> 1;
  }
  return (crc ^ 0xffffffff) >>> 0;
}

describe('kafkajs record encoding (patched)', () => {
  it('writes each record as the unpatched client did', () => {
    for (const [name, fields, length, expected] of RECORDS) {
      const b = Record(fields).buffer;
      assert.equal(b.length, length, name);
      assert.equal(b.length <= 80 ? b.toString('hex') : digest(b), expected, name);
    }
  });

  it('writes a transactional record batch and a produce request as the unpatched client did', async () => {
    const records = RECORDS.map(([, fields], i) => Record({ ...fields, offsetDelta: i }));
    const batch = await RecordBatch({
      firstTimestamp: 1764720000000,
      maxTimestamp: 1764720000999,
      lastOffsetDelta: records.length - 1,
      transactional: true,
      producerId: Long.fromValue(4711),
      producerEpoch: 3,
      firstSequence: 42,
      records,
    });
    assert.equal(batch.buffer.length, 6650);
    assert.equal(digest(batch.buffer), '6d4b0ca5161e27ade5ac5494064422a5');

    const messages = (p: number, n: number, size: number) =>
      Array.from({ length: n }, (_, i) => ({
        key: Buffer.from(`lead-${p}-${i}`),
        value: bytes(size + i, p + i),
        timestamp: String(1764720000000 + i * 7),
        headers: { 'lr-trace': `t${i}`, multi: ['a', 'b'] },
      }));
    const request = await Produce({
      acks: -1,
      timeout: 30000,
      transactionalId: 'router-3',
      producerId: Long.fromValue(99),
      producerEpoch: 2,
      compression: 0,
      topicData: [
        {
          topic: 'leads.routed',
          partitions: [
            { partition: 0, firstSequence: 5, messages: messages(0, 3, 1230) },
            { partition: 4, firstSequence: 0, messages: messages(4, 200, 600) },
          ],
        },
        {
          topic: 'router.queue-state',
          partitions: [{ partition: 1, firstSequence: 9, messages: messages(1, 1, 10) }],
        },
      ],
    }).encode();
    assert.equal(request.buffer.length, 153956);
    assert.equal(digest(request.buffer), 'c2e717b2cd2d7022bb2ac03b04c30e9f');
  });

  it('computes CRC-32C as the polynomial defines it, for every length and alignment', () => {
    assert.equal(crc32C(Buffer.from('123456789')), 0xe3069283, 'the check value of CRC-32C');
    assert.equal(crc32C(Buffer.alloc(0)), 0);
    const big = randomBytes(70_000);
    for (let length = 0; length < 200; length++) {
      const b = randomBytes(length);
      assert.equal(crc32C(b), crc32cBitwise(b), `${length} bytes`);
    }
    for (let offset = 0; offset < 16; offset++) {
      const b = big.subarray(offset, offset + 60_000 + offset);
      assert.equal(crc32C(b), crc32cBitwise(b), `offset ${offset}`);
    }
  });
});

import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';

// kafkajs' protocol encoder, whose varints patches/kafkajs+2.2.4.patch writes without an array,
// a Buffer and a Long per call (docs/kafka-client.md); every record's lengths, timestamp delta,
// offset delta and header sizes go through them.
interface KafkaEncoder {
  writeVarLong(value: number | string): KafkaEncoder;
  writeUVarInt(value: number): KafkaEncoder;
  writeInt32(value: number): KafkaEncoder;
  readonly buffer: Buffer;
}
interface KafkaDecoder {
  readVarLong(): { toString(): string };
  readUVarInt(): number;
  readInt32(): number;
}
const internal = createRequire(__filename);
const Encoder = internal('kafkajs/src/protocol/encoder') as {
  new (initialSize?: number): KafkaEncoder;
  sizeOfVarLong(value: number | string): number;
};
const Decoder = internal('kafkajs/src/protocol/decoder') as new (buffer: Buffer) => KafkaDecoder;

/** What kafkajs 2.2.4 wrote before the patch (zigzag LEB128, as Kafka's ByteUtils). */
const VAR_LONGS: [number, string][] = [
  [0, '00'],
  [1, '02'],
  [-1, '01'],
  [63, '7e'],
  [-64, '7f'],
  [64, '8001'],
  [300, 'd804'],
  [2 ** 30 - 1, 'feffffff07'],
  [-(2 ** 30), 'ffffffff07'],
  [2 ** 30, '8080808008'],
  [-(2 ** 30) - 1, '8180808008'],
  [2 ** 31 - 1, 'feffffff0f'],
  [-(2 ** 31), 'ffffffff0f'],
  [1764740000000, '80a49babdc66'],
  [-1764740000000, 'ffa39babdc66'],
];
const UVAR_INTS: [number, string][] = [
  [0, '00'],
  [127, '7f'],
  [128, '8001'],
  [300, 'ac02'],
  [16384, '808001'],
  [2 ** 31, '8080808008'],
  [2 ** 32 - 1, 'ffffffff0f'],
];

describe('kafkajs varints (patched)', () => {
  it('writes the bytes the unpatched encoder wrote, on both sides of the small-number path', () => {
    for (const [value, hex] of VAR_LONGS) {
      assert.equal(new Encoder().writeVarLong(value).buffer.toString('hex'), hex, String(value));
      assert.equal(Encoder.sizeOfVarLong(value), hex.length / 2, `size of ${value}`);
    }
    for (const [value, hex] of UVAR_INTS)
      assert.equal(new Encoder().writeUVarInt(value).buffer.toString('hex'), hex, String(value));
    assert.equal(new Encoder().writeVarLong('300').buffer.toString('hex'), 'd804', 'a string');
  });

  it('reads back what it wrote, many values in one encoder across its growth', () => {
    const encoder = new Encoder(1);
    const values = Array.from({ length: 5000 }, (_, i) => {
      const magnitude = 2 ** (i % 50);
      return (i % 2 === 0 ? 1 : -1) * Math.floor(magnitude + ((i * 7919) % magnitude));
    });
    values.forEach((v, i) =>
      encoder
        .writeVarLong(v)
        .writeUVarInt((i * 104_729) >>> 0)
        .writeInt32(i),
    );
    const decoder = new Decoder(encoder.buffer);
    values.forEach((v, i) => {
      assert.equal(decoder.readVarLong().toString(), String(v));
      assert.equal(decoder.readUVarInt(), (i * 104_729) >>> 0);
      assert.equal(decoder.readInt32(), i);
    });
  });
});

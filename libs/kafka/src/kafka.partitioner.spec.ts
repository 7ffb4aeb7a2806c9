import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { createRequire } from 'node:module';
import { describe, it } from 'node:test';
import { Partitioners, type PartitionerArgs } from 'kafkajs';

// kafkajs' internals that patches/kafkajs+2.2.4.patch rewrites (docs/kafka-client.md).
const internal = createRequire(__filename);
const murmur2 = internal('kafkajs/src/producer/partitioners/default/murmur2') as (
  key: Buffer | string,
) => number;
const groupMessagesPerPartition = internal('kafkajs/src/producer/groupMessagesPerPartition') as (
  args: Omit<PartitionerArgs, 'message'> & {
    messages: PartitionerArgs['message'][];
    partitioner: (args: PartitionerArgs) => number;
  },
) => Record<number, PartitionerArgs['message'][]>;

/** Kafka's own vectors for its Java client's murmur2 (clients' UtilsTest.testMurmur2). */
const JAVA_VECTORS: [string, number][] = [
  ['21', -973932308],
  ['foobar', -790332482],
  ['a-little-bit-long-string', -985981536],
  ['a-little-bit-longer-string', -1486304829],
  ['lkjh234lh9fiuh90y23oiuhsafujhadof229phr9h19h89h8', -58897971],
  ['abc', 479470107],
];

/**
 * What kafkajs 2.2.4's murmur2 (64-bit Long arithmetic, before the patch) gave for keys of 1 to 64
 * bytes, key i being the first i + 1 bytes of sha256("key-i") twice over: every tail length, every
 * byte value's sign. A key's partition must not move when the patch changes how it is computed.
 */
const UNPATCHED = [
  -1305047196, 935203884, 629092057, 17664696, -861707988, -594916811, 1220318659, 2021209192,
  622726429, -364808781, -1344587794, -1005299305, 2035113344, 1575365624, 2047597284, -1096125521,
  -1483046241, -1446659885, -684467935, -1176065057, -1432434989, 454017821, 782988949, 1275361048,
  253942850, -1763134969, -1412130569, -1463949674, -28970483, 1041599460, -149512303, 401065056,
  -1206732848, 381839008, -551808707, 1452345009, -1520116848, -1537815031, -1208958028,
  -1678467110, 2104757279, -851882872, -551289142, -2143128479, -1003573583, -790860781,
  -1722291243, -271421305, -290151793, 1691860077, 1272591771, -1458620004, -2088787245, -30488468,
  -1681787384, 60000218, 1306250770, -568745590, -1878275494, 302413075, 550358880, -1819425529,
  72976124, -439745042,
];

const keyOf = (i: number): Buffer => {
  const digest = createHash('sha256').update(`key-${i}`).digest();
  return Buffer.concat([digest, digest]).subarray(0, i + 1);
};

const metadata = (n: number, down: number[] = []): PartitionerArgs['partitionMetadata'] =>
  Array.from({ length: n }, (_, partitionId) => ({
    partitionId,
    leader: down.includes(partitionId) ? -1 : 0,
    partitionErrorCode: 0,
    replicas: [0],
    isr: [0],
  }));

describe('kafkajs partitioning (patched)', () => {
  it("hashes keys as Kafka's Java client does", () => {
    for (const [key, hash] of JAVA_VECTORS) assert.equal(murmur2(Buffer.from(key)), hash, key);
    assert.equal(murmur2('foobar'), -790332482, 'a string key is hashed as its UTF-8 bytes');
  });

  it('hashes every key as the unpatched client did, so no key changes partition', () => {
    assert.deepEqual(
      UNPATCHED.map((_, i) => murmur2(keyOf(i))),
      UNPATCHED,
    );
  });

  it('groups a batch by partition, keeping the order of each partition', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = metadata(6);
    const messages = Array.from({ length: 600 }, (_, i) => ({
      key: `lead-${i % 50}`,
      value: String(i),
    }));
    const grouped = groupMessagesPerPartition({
      topic: 't',
      partitionMetadata,
      messages,
      partitioner,
    });
    const flat = Object.values(grouped).flat();
    assert.equal(flat.length, messages.length);
    for (const [partition, list] of Object.entries(grouped)) {
      for (const m of list) {
        const hash = murmur2(m.key as string) & 0x7fffffff;
        assert.equal(hash % 6, Number(partition), `${String(m.key)} on its key's partition`);
      }
      const order = list.map((m) => Number(m.value));
      assert.deepEqual(
        order,
        [...order].sort((a, b) => a - b),
        'in the order sent',
      );
    }
  });

  it('spreads keyless messages over the partitions that have a leader', () => {
    const partitioner = Partitioners.DefaultPartitioner();
    const partitionMetadata = metadata(4, [2]);
    const seen = new Set<number>();
    for (let i = 0; i < 30; i++)
      seen.add(partitioner({ topic: 't', partitionMetadata, message: { value: 'v' } }));
    assert.deepEqual([...seen].sort(), [0, 1, 3]);
    const given = partitioner({
      topic: 't',
      partitionMetadata,
      message: { value: 'v', partition: 2 },
    });
    assert.equal(given, 2, 'a partition named in the message is kept');
  });
});

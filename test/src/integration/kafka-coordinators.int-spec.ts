import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { pollUntil, rawLeadFixture, readAtLeast } from '@lead-router/testing';
import type { Producer } from 'kafkajs';
import { kafkaFixture, type KafkaFixture } from './kafka-fixture';

/**
 * kafkajs 2.2.4 asked the broker for the transaction coordinator (FindCoordinator) before each of
 * AddPartitionsToTxn, AddOffsetsToTxn and EndTxn, and for the group coordinator before each
 * TxnOffsetCommit: four extra round trips in every transaction, which is what the router's two
 * exactly-once steps run per chunk and partition. `patches/kafkajs+2.2.4.patch` keeps the
 * coordinators' node ids and asks again only after a request to one failed. This spec runs
 * transactions on a real broker and counts the requests kafkajs sends.
 */
describe('kafkajs transactions: coordinators found once', () => {
  let fx: KafkaFixture;
  const producers: Producer[] = [];
  before(async () => {
    fx = await kafkaFixture('coordinators');
  });
  after(async () => {
    for (const p of producers) await p.disconnect();
    await fx.close();
  });

  it('runs ten transactions with offsets without one more FindCoordinator request (kafkajs: GroupCoordinator), and every one commits', async () => {
    const producer = fx.kafka.producer({
      transactionalId: `${fx.prefix}coordinators.0`,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    producers.push(producer);
    const requests: string[] = [];
    producer.on(producer.events.REQUEST, ({ payload }) => requests.push(payload.apiName));
    await producer.connect();
    const groupId = `${fx.prefix}coordinators.group`;
    const transaction = async (i: number) => {
      const tx = await producer.transaction();
      const lead = rawLeadFixture({ lead_id: `coordinators-${i}`, channel: 'kafka' });
      await tx.send({
        topic: fx.topics.raw,
        messages: [{ key: lead.lead_id, value: fx.codec.encode(fx.topics.raw, lead) }],
      });
      await tx.sendOffsets({
        consumerGroupId: groupId,
        topics: [
          { topic: fx.topics.normalized, partitions: [{ partition: 0, offset: String(i + 1) }] },
        ],
      });
      await tx.commit();
    };
    // The first finds both coordinators (on a fresh broker, the transaction coordinator may
    // answer that it is still loading, and is asked for again): the ten after it are counted.
    await transaction(0);
    requests.length = 0;
    for (let i = 1; i <= 10; i++) await transaction(i);

    const count = (api: string) => requests.filter((r) => r === api).length;
    assert.equal(count('EndTxn'), 10);
    assert.equal(count('TxnOffsetCommit'), 10);
    // both coordinators kept from the first transaction (unpatched: four lookups a transaction)
    assert.equal(count('GroupCoordinator'), 0, JSON.stringify(requests));
    // What a reader sees: every record committed, and the group's offset where the last one put
    // it. Kafka answers EndTxn before it writes the markers that make a commit visible (to a
    // read_committed reader on the topic, to OffsetFetch on the group), so both are read again
    // until they show the last transaction or 30 s pass.
    const read = await readAtLeast(fx.kafka, fx.topics.raw, 11);
    assert.deepEqual(
      read.map((m) => m.key).sort(),
      Array.from({ length: 11 }, (_, i) => `coordinators-${i}`).sort(),
    );
    const admin = fx.kafka.admin();
    await admin.connect();
    const offset = await pollUntil(
      async () => {
        const [offsets] = await admin.fetchOffsets({ groupId, topics: [fx.topics.normalized] });
        return offsets?.partitions.find((p) => p.partition === 0)?.offset;
      },
      (at) => at === '11',
    );
    await admin.disconnect();
    assert.equal(offset, '11');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { rawLeadFixture } from '@lead-router/testing';
import type { Consumer } from 'kafkajs';
import { kafkaFixture, type KafkaFixture } from './kafka-fixture';

/**
 * kafkajs 2.2.4 re-checked every connection's empty request queue on a 1 ms timer for as long as
 * the connection lived (tulios/kafkajs#1556, #1704). `patches/kafkajs+2.2.4.patch` checks only
 * when a request waits. This spec counts the timers of 1 ms or less that a connected producer, a
 * consumer and an admin ask for in one idle second, and still sees a record go through after it.
 */
describe('kafkajs: an idle client does not wake its process every millisecond', () => {
  let fx: KafkaFixture;
  let consumer: Consumer;
  before(async () => {
    fx = await kafkaFixture('idle');
  });
  after(async () => {
    await consumer?.disconnect();
    await fx.close();
  });

  it('asks for almost no short timers in an idle second, and a record sent after it is read', async () => {
    const admin = fx.kafka.admin();
    await admin.connect();
    await admin.listTopics();
    consumer = fx.kafka.consumer({ groupId: `${fx.prefix}idle`, maxWaitTimeInMs: 500 });
    await consumer.connect();
    await consumer.subscribe({ topic: fx.topics.raw, fromBeginning: true });
    const seen: string[] = [];
    await consumer.run({
      eachMessage: async ({ message }) => {
        seen.push(String(message.key));
      },
    });
    await fx.producer.sendAll([{ topic: fx.topics.raw, key: 'warm', value: Buffer.from('warm') }]);
    while (!seen.includes('warm')) await new Promise((r) => setTimeout(r, 50));

    const realSetTimeout = globalThis.setTimeout;
    let short = 0;
    globalThis.setTimeout = ((...args: Parameters<typeof setTimeout>) => {
      if ((args[1] ?? 0) <= 1) short++;
      return realSetTimeout(...args);
    }) as typeof setTimeout;
    try {
      await new Promise((r) => realSetTimeout(r, 1_000));
    } finally {
      globalThis.setTimeout = realSetTimeout;
    }
    await admin.disconnect();
    // Unpatched, each of the producer's, the consumer's and the admin's connections asks for
    // hundreds a second.
    assert.ok(short < 50, `${short} timers of 1 ms or less in one idle second`);

    const lead = rawLeadFixture({ lead_id: 'idle-after', channel: 'kafka' });
    await fx.producer.sendAll([
      { topic: fx.topics.raw, key: lead.lead_id, value: Buffer.from('after') },
    ]);
    while (!seen.includes('idle-after')) await new Promise((r) => setTimeout(r, 50));
  });
});

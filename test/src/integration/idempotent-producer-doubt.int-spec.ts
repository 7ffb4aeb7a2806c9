import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { before, describe, it } from 'node:test';
import { BatchingProducer, createKafka, ensureTopics } from '@lead-router/kafka';
import { createLogger } from '@lead-router/observability';
import { readAtLeast, testStack, uniquePrefix } from '@lead-router/testing';
import type { Kafka } from 'kafkajs';

const logger = createLogger('test', 'silent');

/**
 * kafkajs' idempotent producer gave a request's sequence numbers back when it got no answer, and
 * the next batch took them: if the broker had written the first, it acknowledged the second as
 * that batch's duplicate without writing it. Ingest answered 202 for such a lead, which never
 * reached leads.raw (the broker SIGKILL fault spec lost 2 of 329 so). The broker's answer to
 * one produce request is swallowed here, so the request times out after the broker wrote it.
 */
describe('kafkajs idempotent producer: a produce request that gets no answer', () => {
  let kafka: Kafka;
  let topic: string;
  /** Set: the next chunk a broker sends this client is dropped (the produce answer). */
  const swallow = { next: false, dropped: 0 };
  before(async () => {
    const stack = await testStack();
    kafka = createKafka({
      brokers: stack.brokers,
      clientId: 'test-doubt',
      logger,
      overrides: {
        requestTimeout: 1_500,
        socketFactory: ({ host, port, onConnect }) => {
          const socket: Socket = connect({ host, port }, onConnect);
          const emit = socket.emit.bind(socket) as (event: string, ...args: unknown[]) => boolean;
          socket.emit = ((event: string, ...args: unknown[]) => {
            if (event === 'data' && swallow.next) {
              swallow.next = false;
              swallow.dropped++;
              return true;
            }
            return emit(event, ...args);
          }) as Socket['emit'];
          return socket;
        },
      },
    });
    topic = `${uniquePrefix('doubt')}one-partition`;
    await ensureTopics(kafka, [{ name: topic, valueSchema: 'RawLead', partitions: 1, config: {} }]);
  });

  it('acknowledges only what the broker wrote: the batch after it is written, the one in doubt at least once', async () => {
    const producer = BatchingProducer.create(kafka);
    await producer.connect();
    try {
      const record = (value: string) => ({ topic, key: value, value: Buffer.from(value) });
      await producer.sendAll([record('a')]);
      // b's answer is dropped after the broker wrote b; c waits for the broker lock meanwhile,
      // and takes it when b's request times out.
      swallow.next = true;
      const b = producer.sendAll([record('b')], 30_000);
      const c = producer.sendAll([record('c')], 30_000);
      await Promise.all([b, c]);
      assert.equal(swallow.dropped, 1);

      const values = (await readAtLeast(kafka, topic, 3)).map((r) => `${r.message.value}`);
      assert.ok(values.includes('c'), `c was acknowledged, so it is in the topic: ${values}`);
      assert.ok(values.includes('b'), `b was acknowledged, so it is in the topic: ${values}`);
      assert.equal(values[0], 'a');
    } finally {
      await producer.disconnect();
    }
  });
});

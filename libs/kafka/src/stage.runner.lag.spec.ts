import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import { createLogger, createRegistry, createStageMetrics } from '@lead-router/observability';
import type { Kafka } from 'kafkajs';
import type { AvroCodec } from './avro.codec';
import type { BatchingProducer } from './batching.producer';
import { StageRunner } from './stage.runner';

/** A kafkajs consumer as far as joining the group goes. */
class FakeConsumer extends EventEmitter {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' } as const;
  async connect() {}
  async subscribe() {}
  async run() {}
  async disconnect() {}
  pause() {}
  resume() {}
  join(partitions: number[]) {
    this.emit(this.events.GROUP_JOIN, { payload: { memberAssignment: { t: partitions } } });
  }
}

const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('StageRunner: the consumer lag gauge across a rebalance', () => {
  it('drops the lag of the partitions the new assignment took away, keeps the rest and other stages', async () => {
    const consumer = new FakeConsumer();
    const kafka = {
      consumer: () => consumer,
      admin: () => ({
        connect: async () => undefined,
        disconnect: async () => undefined,
        fetchTopicMetadata: async () => ({ topics: [{ name: 't', partitions: [{}, {}, {}] }] }),
      }),
    } as unknown as Kafka;
    const registry = createRegistry('test');
    const metrics = createStageMetrics(registry);
    const sut = new StageRunner(
      {
        stage: 'test-stage',
        groupId: 'g',
        topic: 't',
        schema: 'RawLead',
        dlqTopic: 'dlq',
        leadIdOf: () => null,
        handle: () => ({ kind: 'ok', outputs: [] }),
      },
      {
        kafka,
        producer: {} as BatchingProducer,
        codec: {} as AvroCodec,
        metrics,
        logger: createLogger('test', 'silent'),
      },
    );
    await sut.start();
    consumer.join([0, 1, 2]);
    // The figures the stage's batches left, and another stage's on the same topic.
    for (const partition of ['0', '1', '2']) {
      metrics.consumerLag.set({ stage: 'test-stage', topic: 't', partition }, 40);
    }
    metrics.consumerLag.set({ stage: 'other', topic: 't', partition: '2' }, 7);
    consumer.join([1]);
    await settle();
    const lag = (await metrics.consumerLag.get()).values.map((v) => [
      v.labels.stage,
      v.labels.partition,
      v.value,
    ]);
    assert.deepEqual(lag, [
      ['test-stage', '1', 40],
      ['other', '2', 7],
    ]);
    await sut.stop();
  });
});

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { afterEach, beforeEach, describe, it, mock } from 'node:test';
import { createLogger, createRegistry, createStageMetrics } from '@lead-router/observability';
import type { Kafka } from 'kafkajs';
import type { AvroCodec } from './avro.codec';
import type { BatchingProducer } from './batching.producer';
import { StageRunner } from './stage.runner';

/**
 * A kafkajs consumer as far as the runner's life cycle and group membership go: it records what
 * it was asked, and emits what kafkajs emits on a crash and on joining the group.
 */
class FakeConsumer extends EventEmitter {
  readonly events = { GROUP_JOIN: 'consumer.group_join', CRASH: 'consumer.crash' } as const;
  connected = false;
  running = false;
  disconnected = false;
  constructor(private readonly failRun: boolean) {
    super();
  }
  async connect() {
    this.connected = true;
  }
  async subscribe() {}
  async run() {
    if (this.failRun) throw new Error('the broker is still away');
    this.running = true;
  }
  async disconnect() {
    this.disconnected = true;
  }
  pause() {}
  resume() {}
  /** What kafkajs emits when it gives up (`restart: false`) or will retry itself. */
  crash(restart: boolean) {
    this.emit(this.events.CRASH, { payload: { error: new Error('coordinator gone'), restart } });
  }
  join(partitions: number[]) {
    this.emit(this.events.GROUP_JOIN, { payload: { memberAssignment: { t: partitions } } });
  }
}

function setup(failRuns = 0) {
  const consumers: FakeConsumer[] = [];
  let failures = failRuns;
  const kafka = {
    consumer: () => {
      // The first consumer starts; the next `failRuns` replacements fail to run.
      const consumer = new FakeConsumer(consumers.length > 0 && failures-- > 0);
      consumers.push(consumer);
      return consumer;
    },
    // The runner reads the topic's partitions to handle them all at once.
    admin: () => ({
      connect: async () => undefined,
      disconnect: async () => undefined,
      fetchTopicMetadata: async () => ({ topics: [{ name: 't', partitions: [{}, {}, {}] }] }),
    }),
  } as unknown as Kafka;
  const metrics = createStageMetrics(createRegistry('test'));
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
      recoveryDelayMs: 1_000,
    },
  );
  return { sut, consumers, metrics };
}

/** Lets the runner's awaits after a timer settle (setImmediate is not mocked). */
const settle = async () => {
  for (let i = 0; i < 10; i++) await new Promise((resolve) => setImmediate(resolve));
};

describe('StageRunner when kafkajs gives up on its consumer', () => {
  beforeEach(() => mock.timers.enable({ apis: ['setTimeout'] }));
  afterEach(() => mock.timers.reset());

  it('leaves a crash kafkajs recovers from to kafkajs', async () => {
    const { sut, consumers } = setup();
    await sut.start();
    consumers[0]!.crash(true);
    mock.timers.tick(60_000);
    await settle();
    assert.equal(consumers.length, 1);
    assert.equal(sut.healthy, true);
  });

  it('is unhealthy, then starts a new consumer that joins the group again', async () => {
    const { sut, consumers } = setup();
    await sut.start();
    consumers[0]!.crash(false);
    assert.equal(sut.healthy, false, 'unhealthy while it has no consumer');
    mock.timers.tick(999);
    await settle();
    assert.equal(consumers.length, 1, 'not before the delay');
    mock.timers.tick(1);
    await settle();
    assert.equal(consumers.length, 2);
    assert.equal(consumers[0]!.disconnected, true);
    assert.equal(consumers[1]!.running, true);
    assert.equal(sut.healthy, true);
    // A crash reported by the old consumer after its replacement changes nothing.
    consumers[0]!.crash(false);
    assert.equal(sut.healthy, true);
  });

  it('tries again, waiting twice as long, while the new consumer cannot start', async () => {
    const { sut, consumers } = setup(1);
    await sut.start();
    consumers[0]!.crash(false);
    mock.timers.tick(1_000);
    await settle();
    assert.equal(consumers.length, 2);
    assert.equal(sut.healthy, false, 'its replacement failed to run');
    mock.timers.tick(1_999);
    await settle();
    assert.equal(consumers.length, 2, 'the second try waits 2 s');
    mock.timers.tick(1);
    await settle();
    assert.equal(consumers.length, 3);
    assert.equal(consumers[2]!.running, true);
    assert.equal(sut.healthy, true);
  });

  it('starts no new consumer once it is stopping', async () => {
    const { sut, consumers } = setup();
    await sut.start();
    consumers[0]!.crash(false);
    await sut.stop();
    mock.timers.tick(60_000);
    await settle();
    assert.equal(consumers.length, 1);
  });
});

describe('StageRunner: the consumer lag gauge across a rebalance', () => {
  it('drops the lag of the partitions the new assignment took away, keeps the rest and other stages', async () => {
    const { sut, consumers, metrics } = setup();
    await sut.start();
    const consumer = consumers[0]!;
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

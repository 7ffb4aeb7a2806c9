import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DUE_AT_HEADER, StageRunner, dueAtOf, type StageDefinition } from '@lead-router/kafka';
import type { RawLead } from '@lead-router/schemas';
import { rawLeadFixture, waitFor } from '@lead-router/testing';
import type { Admin, Producer } from 'kafkajs';
import { kafkaFixture, stageDeps, type KafkaFixture } from './kafka-fixture';

interface Handled {
  runner: string;
  partition: number;
  offset: number;
  key: string;
  at: number;
}

describe('StageRunner due-time gating on a real broker', () => {
  let fx: KafkaFixture;
  let producer: Producer;
  let admin: Admin;
  before(async () => {
    fx = await kafkaFixture('due');
    producer = fx.kafka.producer();
    await producer.connect();
    admin = fx.kafka.admin();
    await admin.connect();
  });
  after(async () => {
    await producer.disconnect();
    await admin.disconnect();
    await fx.close();
  });

  /** Produces one lead per key to `partition`, each due at `dueAt` (no header when null). */
  async function send(topic: string, partition: number, keys: string[], dueAt: number | null) {
    await producer.send({
      topic,
      messages: keys.map((key) => ({
        partition,
        key,
        value: fx.codec.encode(topic, rawLeadFixture({ lead_id: key, channel: 'kafka' })),
        headers: dueAt === null ? {} : { [DUE_AT_HEADER]: String(dueAt) },
      })),
    });
  }

  /** A runner whose handler only notes what it handled, when, and on which runner. */
  function runner(name: string, topic: string, groupId: string, handled: Handled[]) {
    const def: StageDefinition<RawLead> = {
      stage: 'due-test',
      groupId,
      topic,
      schema: 'RawLead',
      dlqTopic: fx.topics.dlq,
      leadIdOf: (lead) => lead.lead_id,
      dueAt: (_lead, ctx) => dueAtOf(ctx.headers),
      handle: (lead, ctx) => {
        handled.push({
          runner: name,
          partition: ctx.partition,
          offset: Number(ctx.offset),
          key: lead.lead_id,
          at: Date.now(),
        });
        return { kind: 'ok', outputs: [] };
      },
    };
    return new StageRunner(def, stageDeps(fx));
  }

  async function committed(groupId: string, topic: string): Promise<Map<number, number>> {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return new Map(offsets!.partitions.map((p) => [p.partition, Number(p.offset)]));
  }

  async function endOffsets(topic: string): Promise<Map<number, number>> {
    const offsets = await admin.fetchTopicOffsets(topic);
    return new Map(offsets.map((p) => [p.partition, Number(p.high)]));
  }

  const keysOf = (handled: Handled[], partition: number) =>
    handled.filter((h) => h.partition === partition).map((h) => h.key);

  it('keeps records in Kafka until due while another partition flows, re-producing nothing', async () => {
    const topic = fx.topics.raw;
    const groupId = `${fx.prefix}due-flow`;
    const handled: Handled[] = [];
    const sut = runner('a', topic, groupId, handled);
    let dueAt = Number.POSITIVE_INFINITY;
    await sut.start();
    try {
      await send(topic, 0, ['p0-now-0', 'p0-now-1'], null);
      await send(topic, 1, ['p1-0', 'p1-1'], null);
      await waitFor(() => handled.length === 4, { timeoutMs: 60_000, what: 'the due records' });

      dueAt = Date.now() + 3_000;
      await send(topic, 0, ['p0-wait-2', 'p0-wait-3', 'p0-wait-4'], dueAt);
      await send(topic, 0, ['p0-behind-5'], null);
      await waitFor(() => sut.waitingPartitions.includes(0), {
        timeoutMs: 2_500,
        what: 'partition 0 paused on its waiting record',
      });

      // Partition 1 flows while partition 0 waits.
      await send(topic, 1, ['p1-2', 'p1-3', 'p1-4'], null);
      await waitFor(() => keysOf(handled, 1).length === 5, {
        timeoutMs: 2_500,
        what: "partition 1's records handled while partition 0 waits",
      });
      const whileWaiting = await committed(groupId, topic);
      assert.ok(Date.now() < dueAt, 'partition 1 was handled before the waiting records were due');
      assert.deepEqual(keysOf(handled, 0), ['p0-now-0', 'p0-now-1']);
      assert.equal(whileWaiting.get(0), 2, 'the committed offset stays at the waiting record');
      assert.equal(whileWaiting.get(1), 5);

      await waitFor(() => keysOf(handled, 0).length === 6, {
        timeoutMs: 30_000,
        what: 'the waiting records handled once due',
      });
      await waitFor(async () => (await committed(groupId, topic)).get(0) === 6, {
        timeoutMs: 10_000,
        what: 'partition 0 committed past the waiting records',
      });
    } finally {
      await sut.stop();
    }

    assert.deepEqual(keysOf(handled, 0), [
      'p0-now-0',
      'p0-now-1',
      'p0-wait-2',
      'p0-wait-3',
      'p0-wait-4',
      'p0-behind-5',
    ]);
    for (const h of handled.filter((r) => r.partition === 0 && r.offset >= 2)) {
      assert.ok(h.at >= dueAt, `${h.key} handled ${dueAt - h.at} ms before it was due`);
    }
    const ends = await endOffsets(topic);
    assert.equal(ends.get(0), 6, 'nothing was re-produced to partition 0 while it waited');
    assert.equal(ends.get(1), 5);
    assert.equal(
      [...ends.values()].reduce((a, b) => a + b, 0),
      11,
    );
  });

  it('handles a waiting record once, at its due time, after a restart while it waits', async () => {
    const topic = fx.topics.raw;
    const groupId = `${fx.prefix}due-restart`;
    const partition = 2;
    const handled: Handled[] = [];
    const before = (await endOffsets(topic)).get(partition)!;

    const first = runner('first', topic, groupId, handled);
    await first.start();
    let dueAt: number;
    try {
      await send(topic, partition, ['restart-now'], null);
      await waitFor(() => keysOf(handled, partition).length === 1, {
        timeoutMs: 60_000,
        what: 'the first runner joined and handled a due record',
      });
      dueAt = Date.now() + 4_000;
      await send(topic, partition, ['restart-wait'], dueAt);
      await waitFor(() => first.waitingPartitions.includes(partition), {
        timeoutMs: 3_000,
        what: 'the first runner waiting on the record',
      });
    } finally {
      await first.stop();
    }
    assert.ok(Date.now() < dueAt, 'the first runner stopped before the record was due');
    assert.deepEqual(keysOf(handled, partition), ['restart-now']);
    assert.equal((await committed(groupId, topic)).get(partition), before + 1);

    const second = runner('second', topic, groupId, handled);
    await second.start();
    try {
      await waitFor(() => keysOf(handled, partition).length === 2, {
        timeoutMs: 30_000,
        what: 'the restarted runner handled the waiting record',
      });
      await waitFor(async () => (await committed(groupId, topic)).get(partition) === before + 2, {
        timeoutMs: 10_000,
        what: 'the waiting record committed',
      });
    } finally {
      await second.stop();
    }
    const waited = handled.filter((h) => h.key === 'restart-wait');
    assert.equal(waited.length, 1, 'handled once');
    assert.equal(waited[0]!.runner, 'second');
    assert.ok(waited[0]!.at >= dueAt, `handled ${dueAt - waited[0]!.at} ms before it was due`);
    assert.equal((await endOffsets(topic)).get(partition), before + 2, 'nothing re-produced');
  });

  it('keeps waiting records waiting across a rebalance, and handles each once when due', async () => {
    const topic = fx.topics.raw;
    const groupId = `${fx.prefix}due-rebalance`;
    const handled: Handled[] = [];
    const partitions = [0, 1, 2, 3, 4, 5];
    const ends = await endOffsets(topic);

    const first = runner('first', topic, groupId, handled);
    const second = runner('second', topic, groupId, handled);
    await first.start();
    try {
      // This group reads the topic from the beginning: the earlier tests' records are all due.
      const earlier = [...ends.values()].reduce((a, b) => a + b, 0);
      await waitFor(() => handled.length === earlier, {
        timeoutMs: 60_000,
        what: 'the first runner handled what earlier tests left',
      });
      const dueAt = Date.now() + 5_000;
      for (const p of partitions) await send(topic, p, [`rebalance-${p}`], dueAt);
      await waitFor(() => first.waitingPartitions.length === partitions.length, {
        timeoutMs: 3_000,
        what: 'every partition waiting on the first runner',
      });

      // The first runner's partitions are reassigned while their records wait.
      await second.start();
      await waitFor(() => handled.filter((h) => h.key.startsWith('rebalance-')).length === 6, {
        timeoutMs: 30_000,
        what: 'every waiting record handled after the rebalance',
      });
      await waitFor(
        async () => {
          const offsets = await committed(groupId, topic);
          return partitions.every((p) => offsets.get(p) === ends.get(p)! + 1);
        },
        { timeoutMs: 10_000, what: 'every partition committed past its waiting record' },
      );
      const waited = handled.filter((h) => h.key.startsWith('rebalance-'));
      assert.deepEqual(
        waited.map((h) => h.key).sort(),
        partitions.map((p) => `rebalance-${p}`),
      );
      for (const h of waited) {
        assert.ok(h.at >= dueAt, `${h.key} handled ${dueAt - h.at} ms before it was due`);
      }
      // The first runner kept some partitions (whose pause it had to lift on the rebalance, or
      // they would stay paused for good) and the second took the others over.
      const runners = new Set(waited.map((h) => h.runner));
      assert.deepEqual([...runners].sort(), ['first', 'second']);
    } finally {
      await Promise.all([first.stop(), second.stop()]);
    }
  });
});

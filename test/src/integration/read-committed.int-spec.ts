import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { StageRunner, readToEnd, type StageDefinition } from '@lead-router/kafka';
import { createRegistry, createStageMetrics } from '@lead-router/observability';
import type { RawLead } from '@lead-router/schemas';
import { rawLeadFixture, readAtLeast, waitFor } from '@lead-router/testing';
import type { Producer, Transaction } from 'kafkajs';
import { kafkaFixture, stageDeps, type KafkaFixture } from './kafka-fixture';

/**
 * kafkajs 2.2.4 handed a read_committed consumer the records of an aborted transaction whenever
 * aborted transactions of several producers overlapped on one partition: the broker lists them in
 * the order of their abort markers, kafkajs took that as the order of their first offsets and
 * opened one per record. Since the stages' partitions run their transactions at once, that is
 * the router's normal case after a crash: a sink then delivered a decision that never committed
 * (the router fault spec found 9 leads assigned twice). `patches/kafkajs+2.2.4.patch` filters as
 * the Java client does; these specs write overlapping transactions on one partition of a real
 * broker and read them back through kafkajs' consumer, as every stage and tool does.
 */
describe('read_committed through kafkajs: overlapping aborted transactions', () => {
  let fx: KafkaFixture;
  let inp: KafkaFixture;
  let out: KafkaFixture;
  const producers: Producer[] = [];
  before(async () => {
    fx = await kafkaFixture('read-committed');
    inp = await kafkaFixture('read-committed-in');
    out = await kafkaFixture('read-committed-out');
  });
  after(async () => {
    for (const p of producers) await p.disconnect();
    await fx.close();
    await inp.close();
    await out.close();
  });

  async function transactional(name: string): Promise<Producer> {
    const producer = fx.kafka.producer({
      transactionalId: name,
      idempotent: true,
      maxInFlightRequests: 1,
    });
    await producer.connect();
    producers.push(producer);
    return producer;
  }

  const lead = (id: string): RawLead => rawLeadFixture({ lead_id: id, channel: 'kafka' });
  const send = (tx: Transaction, on: KafkaFixture, id: string) =>
    tx.send({
      topic: on.topics.raw,
      messages: [{ key: 'one-partition', value: on.codec.encode(on.topics.raw, lead(id)) }],
    });

  /**
   * Four producers, 60 steps of a fixed pseudo-random schedule on one partition: each step opens
   * a producer's transaction, writes a record into it, or ends it (commit or abort), so aborted
   * transactions overlap each other and committed ones in every way. Returns the ids committed.
   */
  async function overlappingTransactions(
    on: KafkaFixture,
  ): Promise<{ committed: string[]; aborted: string[] }> {
    const ps = await Promise.all([0, 1, 2, 3].map((i) => transactional(`${on.prefix}p${i}`)));
    const open: ({ tx: Transaction; ids: string[] } | null)[] = ps.map(() => null);
    const committed: string[] = [];
    const aborted: string[] = [];
    let seed = 7;
    const next = () => (seed = (seed * 1103515245 + 12345) % 2147483648) / 2147483648;
    let n = 0;
    for (let step = 0; step < 60; step++) {
      const i = Math.floor(next() * ps.length);
      const current = open[i];
      if (!current) {
        open[i] = { tx: await ps[i]!.transaction(), ids: [] };
        const id = `r${n++}`;
        await send(open[i]!.tx, on, id);
        open[i]!.ids.push(id);
      } else if (next() < 0.5) {
        const id = `r${n++}`;
        await send(current.tx, on, id);
        current.ids.push(id);
      } else {
        // Two in three transactions abort: the case that went wrong.
        if (next() < 0.66) {
          await current.tx.abort();
          aborted.push(...current.ids);
        } else {
          await current.tx.commit();
          committed.push(...current.ids);
        }
        open[i] = null;
      }
    }
    for (const current of open.filter((o) => o !== null)) {
      await current.tx.abort();
      aborted.push(...current.ids);
    }
    return { committed, aborted };
  }

  it('a reader sees every committed record and none of the aborted ones', async () => {
    const topic = fx.topics.raw;
    const { committed, aborted } = await overlappingTransactions(fx);
    assert.ok(
      aborted.length >= 10 && committed.length >= 5,
      `${aborted.length} aborted, ${committed.length} committed`,
    );
    // The last transactions' markers may still be on their way (Kafka answers EndTxn first).
    const read = await readAtLeast(fx.kafka, topic, committed.length);
    const ids = await Promise.all(
      read.map(async (r) => (await fx.codec.decode<RawLead>(r.message.value, 'RawLead')).lead_id),
    );
    assert.deepEqual(
      ids.filter((id) => aborted.includes(id)),
      [],
      'no record of an aborted transaction reaches a read_committed reader',
    );
    assert.deepEqual([...ids].sort(), [...committed].sort(), 'every committed record, once');
  });

  it('a stage copies only the committed records downstream', async () => {
    const topic = inp.topics.raw;
    const { committed, aborted } = await overlappingTransactions(inp);
    const def: StageDefinition<RawLead> = {
      stage: 'copy',
      groupId: `${inp.prefix}copy`,
      topic,
      schema: 'RawLead',
      dlqTopic: inp.topics.dlq,
      exactlyOnce: true,
      leadIdOf: (l) => l.lead_id,
      handle: (l) => ({
        kind: 'ok',
        outputs: [{ topic: out.topics.raw, key: l.lead_id, value: l }],
      }),
    };
    const metrics = createStageMetrics(createRegistry('test'));
    const stage = new StageRunner(def, stageDeps(inp, { writes: out, metrics }));
    await stage.start();
    try {
      await waitFor(
        async () => (await readToEnd(out.kafka, out.topics.raw)).length >= committed.length,
        {
          timeoutMs: 60_000,
          what: `${committed.length} committed records copied`,
        },
      );
      // Its input ends in transaction markers: once all is read, the lag gauge says 0, not 1.
      const lag = (await metrics.consumerLag.get()).values.filter((v) => v.labels.stage === 'copy');
      assert.ok(lag.length > 0, 'the stage reported its lag');
      assert.deepEqual(
        lag.filter((v) => v.value !== 0).map((v) => `partition ${v.labels.partition}: ${v.value}`),
        [],
        'no lag left once every committed record was read',
      );
    } finally {
      await stage.stop();
    }
    const copied = await Promise.all(
      (await readToEnd(out.kafka, out.topics.raw)).map(
        async (r) => (await out.codec.decode<RawLead>(r.message.value, 'RawLead')).lead_id,
      ),
    );
    assert.deepEqual(
      copied.filter((id) => aborted.includes(id)),
      [],
      'nothing aborted copied',
    );
    assert.deepEqual([...copied].sort(), [...committed].sort());
  });
});

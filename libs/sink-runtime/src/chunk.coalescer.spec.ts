import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { StageOutput } from '@lead-router/kafka';
import { ChunkCoalescer } from './chunk.coalescer';

interface Task {
  leadId: string;
}

/** A coalescer whose deliveries are recorded and answer one output per task, keyed by lead. */
function coalescer(maxWaitMs = 1_000) {
  const rounds: string[][] = [];
  let release: (() => void) | null = null;
  let hold = false;
  const sut = new ChunkCoalescer<Task>({
    leadIdOf: (t) => t.leadId,
    maxWaitMs,
    deliver: async (tasks) => {
      rounds.push(tasks.map((t) => t.leadId));
      if (hold) await new Promise<void>((resolve) => (release = resolve));
      return tasks.map((t): StageOutput => ({ topic: 'out', key: t.leadId, value: t.leadId }));
    },
  });
  return {
    sut,
    rounds,
    holdDeliveries: () => (hold = true),
    releaseDelivery: () => {
      hold = false;
      release?.();
    },
  };
}

const p = (partition: number) => ({ topic: 'leads.routed', partition });
const tasks = (...ids: string[]) => ids.map((leadId) => ({ leadId }));
const keys = (outputs: StageOutput[]) => outputs.map((o) => o.key);

describe('ChunkCoalescer', () => {
  it('delivers the chunks begun together in one round and gives each its own outputs', async () => {
    const { sut, rounds } = coalescer();
    sut.begin(p(0));
    sut.begin(p(1));
    sut.begin(p(2));
    const first = sut.submit(p(0), tasks('a', 'b'));
    const second = sut.submit(p(1), tasks('c'));
    assert.deepEqual(rounds, [], 'the round waits while partition 2 is still open');
    const third = sut.submit(p(2), tasks('d', 'e'));

    assert.deepEqual(keys(await first), ['a', 'b']);
    assert.deepEqual(keys(await second), ['c']);
    assert.deepEqual(keys(await third), ['d', 'e']);
    assert.deepEqual(rounds, [['a', 'b', 'c', 'd', 'e']]);
  });

  it('a chunk with no tasks for the sink lets the others go without it', async () => {
    const { sut, rounds } = coalescer();
    sut.begin(p(0));
    sut.begin(p(1));
    const first = sut.submit(p(0), tasks('a'));
    assert.deepEqual(await sut.submit(p(1), []), []);
    assert.deepEqual(keys(await first), ['a']);
    assert.deepEqual(rounds, [['a']]);
  });

  it('does not wait longer than maxWaitMs for a chunk that never hands over', async () => {
    const { sut, rounds } = coalescer(20);
    sut.begin(p(0));
    sut.begin(p(1)); // fails half-way, say, and never reaches afterChunk
    const started = Date.now();
    assert.deepEqual(keys(await sut.submit(p(0), tasks('a'))), ['a']);
    assert.ok(Date.now() - started >= 15, 'it waited for partition 1 first');
    assert.deepEqual(rounds, [['a']]);
  });

  it('after a rebalance no round waits for a chunk begun before it', async () => {
    const { sut, rounds } = coalescer(60_000);
    sut.begin(p(0));
    sut.begin(p(1));
    const first = sut.submit(p(0), tasks('a'));
    sut.reset();
    assert.deepEqual(keys(await first), ['a']);
    assert.deepEqual(rounds, [['a']]);
  });

  it('delivers one round at a time; chunks arriving meanwhile make the next round together', async () => {
    const { sut, rounds, holdDeliveries, releaseDelivery } = coalescer(60_000);
    holdDeliveries();
    sut.begin(p(0));
    const first = sut.submit(p(0), tasks('a'));
    sut.begin(p(1));
    sut.begin(p(2));
    const second = sut.submit(p(1), tasks('b'));
    const third = sut.submit(p(2), tasks('c'));
    sut.begin(p(3)); // still open when the first round ends: the next round does not wait for it
    await new Promise((resolve) => setImmediate(resolve));
    assert.deepEqual(rounds, [['a']], 'no second round while the first is delivering');

    releaseDelivery();
    assert.deepEqual(keys(await first), ['a']);
    assert.deepEqual(keys(await second), ['b']);
    assert.deepEqual(keys(await third), ['c']);
    assert.deepEqual(rounds, [['a'], ['b', 'c']]);
  });

  it('a failed delivery fails every chunk of its round, so each is processed again', async () => {
    const sut = new ChunkCoalescer<Task>({
      leadIdOf: (t) => t.leadId,
      maxWaitMs: 1_000,
      deliver: async () => {
        throw new Error('redis unreachable');
      },
    });
    sut.begin(p(0));
    sut.begin(p(1));
    const first = sut.submit(p(0), tasks('a'));
    const second = sut.submit(p(1), tasks('b'));
    await assert.rejects(first, /redis unreachable/);
    await assert.rejects(second, /redis unreachable/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createLogger } from '@lead-router/observability';
import type { Kafka } from 'kafkajs';
import { ProcessTransactions } from './process.transactions';
import { MAX_REQUEST_BYTES } from './request.split';

/** What one transaction carried, as the fake producers saw it. */
interface SeenTransaction {
  producer: string;
  keys: string[];
  /** each produce request's value bytes */
  requests: number[];
  offsets: unknown[];
  ended: 'commit' | 'abort' | null;
}

/**
 * A Kafka whose producers record their transactions; the broker side is the integration tests'
 * (stage-runner-exactly-once.int-spec.ts). `failOffsets` makes the next sendOffsets throw, as the
 * coordinator's ILLEGAL_GENERATION does; `gate` holds every commit until released.
 */
function fakeKafka() {
  const seen: SeenTransaction[] = [];
  const started: string[] = [];
  const state = { failOffsets: false, gate: null as Promise<void> | null };
  const kafka = {
    producer: ({ transactionalId }: { transactionalId: string }) => ({
      connect: async () => void started.push(transactionalId),
      disconnect: async () => undefined,
      transaction: async () => {
        const tx: SeenTransaction = {
          producer: transactionalId,
          keys: [],
          requests: [],
          offsets: [],
          ended: null,
        };
        seen.push(tx);
        return {
          sendBatch: async ({
            topicMessages,
          }: {
            topicMessages: { messages: { key: string; value: Buffer }[] }[];
          }) => {
            const messages = topicMessages.flatMap((t) => t.messages);
            tx.keys.push(...messages.map((m) => m.key));
            tx.requests.push(messages.reduce((sum, m) => sum + m.value.length, 0));
          },
          sendOffsets: async (offsets: unknown) => {
            if (state.failOffsets) {
              state.failOffsets = false;
              throw Object.assign(new Error('generation over'), { type: 'ILLEGAL_GENERATION' });
            }
            tx.offsets.push(offsets);
          },
          commit: async () => {
            await state.gate;
            tx.ended = 'commit';
          },
          abort: async () => void (tx.ended = 'abort'),
        };
      },
    }),
  } as unknown as Kafka;
  // The start of each producer runs an empty transaction (its InitProducerId): not a chunk's.
  const chunks = () => seen.filter((t) => t.keys.length > 0 || t.offsets.length > 0);
  return { kafka, seen: chunks, started, state };
}

const logger = createLogger('test', 'silent');
const member = { generationId: 4, memberId: 'm-1' };
const record = (key: string) => ({ topic: 'out', key, value: Buffer.from(key) });
const offsets = (partition: number, offset: string, groupId = 'g') => ({
  groupId,
  topic: 'in',
  partition,
  offset,
});

describe('ProcessTransactions: one transaction for the chunks ready at once', () => {
  it('puts the chunks handed in in one turn in one transaction, their offsets in one TxnOffsetCommit per group with the member', async () => {
    const { kafka, seen } = fakeKafka();
    const sut = new ProcessTransactions({ kafka, transactionalId: 'g.i', logger });
    await Promise.all([
      sut.commit(0, [record('a')], offsets(0, '5'), member),
      sut.commit(1, [record('b'), record('c')], offsets(1, '9'), member),
      sut.commit(0, [record('x')], offsets(0, '3', 'g.assign'), { ...member, generationId: 2 }),
    ]);
    assert.equal(seen().length, 1);
    const [tx] = seen();
    assert.deepEqual(tx!.keys, ['a', 'b', 'c', 'x']);
    assert.equal(tx!.ended, 'commit');
    assert.deepEqual(tx!.offsets, [
      {
        consumerGroupId: 'g',
        consumerGroupMetadata: member,
        topics: [
          {
            topic: 'in',
            partitions: [
              { partition: 0, offset: '5' },
              { partition: 1, offset: '9' },
            ],
          },
        ],
      },
      {
        consumerGroupId: 'g.assign',
        consumerGroupMetadata: { ...member, generationId: 2 },
        topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '3' }] }],
      },
    ]);
  });

  it('sends the chunks handed in while a transaction runs in the next one, on the other producer', async () => {
    const { kafka, seen, state } = fakeKafka();
    const sut = new ProcessTransactions({ kafka, transactionalId: 'g.i', logger });
    let open!: () => void;
    state.gate = new Promise((resolve) => (open = resolve));
    const first = sut.commit(0, [record('a')], offsets(0, '1'), member);
    while (seen().length === 0) await new Promise((resolve) => setImmediate(resolve));
    const second = sut.commit(1, [record('b')], offsets(1, '1'), member);
    const third = sut.commit(2, [record('c')], offsets(2, '1'), member);
    open();
    await Promise.all([first, second, third]);
    assert.deepEqual(
      seen().map((t) => [t.producer, t.keys]),
      [
        ['g.i', ['a']],
        ['g.i.alt', ['b', 'c']],
      ],
    );
  });

  it('fails every chunk of a refused transaction, aborts it and starts the producers afresh for the next', async () => {
    const { kafka, seen, started, state } = fakeKafka();
    const sut = new ProcessTransactions({ kafka, transactionalId: 'g.i', logger });
    state.failOffsets = true;
    const results = await Promise.allSettled([
      sut.commit(0, [record('a')], offsets(0, '1'), member),
      sut.commit(1, [record('b')], offsets(1, '1'), member),
    ]);
    assert.deepEqual(
      results.map((r) => r.status === 'rejected' && (r.reason as { type?: string }).type),
      ['ILLEGAL_GENERATION', 'ILLEGAL_GENERATION'],
    );
    assert.equal(seen()[0]!.ended, 'abort');
    await sut.commit(0, [record('a')], offsets(0, '1'), member);
    assert.equal(seen()[1]!.ended, 'commit');
    assert.deepEqual(started, ['g.i', 'g.i.alt', 'g.i', 'g.i.alt']);
  });

  it('puts a backlog’s full chunks in one transaction, its records in requests of at most MAX_REQUEST_BYTES', async () => {
    const { kafka, seen } = fakeKafka();
    const sut = new ProcessTransactions({ kafka, transactionalId: 'g.i', logger });
    // Six partitions, each with a chunk of 500 records of 1.2 KB ready at once (600 KB a chunk):
    // together a broker would refuse them as one request (MESSAGE_TOO_LARGE).
    const chunk = (p: number) =>
      Array.from({ length: 500 }, (_, i) => ({
        topic: 'out',
        key: `p${p}-${i}`,
        value: Buffer.alloc(1_200),
      }));
    await Promise.all(
      [0, 1, 2, 3, 4, 5].map((p) => sut.commit(p, chunk(p), offsets(p, '500'), member)),
    );
    const [tx, ...more] = seen();
    assert.equal(more.length, 0, 'one transaction');
    assert.equal(tx!.keys.length, 3_000);
    assert.equal(tx!.ended, 'commit');
    assert.ok(tx!.requests.length >= 4, `requests: ${tx!.requests.join(', ')}`);
    assert.ok(
      tx!.requests.every((bytes) => bytes <= MAX_REQUEST_BYTES),
      `request bytes: ${tx!.requests.join(', ')}`,
    );
    // In order: each partition's records leave as they were handed in.
    assert.deepEqual(
      tx!.keys.filter((k) => k.startsWith('p3-')),
      chunk(3).map((r) => r.key),
    );
  });
});

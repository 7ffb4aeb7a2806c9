import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { Producer } from 'kafkajs';
import type { OutgoingRecord } from './batching.producer';
import type { TransactionPhase } from './partition.transactions';
import type { TopicLimits } from './topic.limits';
import { runTransaction, type TransactionOffsetsCommit } from './transaction.run';

/** A promise with its settle functions outside, to hold a request open until a test lets it go. */
function held<T = void>() {
  let resolve!: (value: T) => void;
  let reject!: (err: unknown) => void;
  const promise = new Promise<T>((res, rej) => ((resolve = res), (reject = rej)));
  return { promise, resolve, reject };
}

/**
 * A transactional producer whose requests are answered when the test says: each call is logged
 * as it is made ('records', 'offsets', 'commit', 'abort') and again as it is answered.
 */
function producerWithHeldAnswers() {
  const log: string[] = [];
  const records = held();
  const offsets = held();
  const producer = {
    transaction: async () => ({
      sendBatch: async () => {
        log.push('records sent');
        await records.promise;
        log.push('records acknowledged');
      },
      sendOffsets: async () => {
        log.push('offsets sent');
        await offsets.promise;
        log.push('offsets committed');
      },
      commit: async () => void log.push('commit'),
      abort: async () => void log.push('abort'),
    }),
  } as unknown as Producer;
  return { producer, log, records, offsets };
}

const RECORDS: OutgoingRecord[] = [{ topic: 'out', key: 'k', value: Buffer.from('v') }];
const OFFSETS: TransactionOffsetsCommit[] = [
  { consumerGroupId: 'g', topics: [{ topic: 'in', partitions: [{ partition: 0, offset: '1' }] }] },
];

/** Lets every callback queued so far run. */
const turns = () => new Promise<void>((done) => setImmediate(done));

describe('runTransaction', () => {
  it("sends the offsets without waiting for the records' acknowledgement, and commits after both", async () => {
    const { producer, log, records, offsets } = producerWithHeldAnswers();
    let phases: Readonly<Record<TransactionPhase, number>> | undefined;
    const run = runTransaction(producer, RECORDS, OFFSETS, { onCommitted: (s) => (phases = s) });
    await turns();
    assert.deepEqual(log, ['records sent', 'offsets sent']);

    offsets.resolve();
    await turns();
    assert.deepEqual(log, ['records sent', 'offsets sent', 'offsets committed'], 'no commit yet');

    records.resolve();
    await run;
    assert.deepEqual(log, [
      'records sent',
      'offsets sent',
      'offsets committed',
      'records acknowledged',
      'commit',
    ]);
    assert.ok(phases && phases.send >= phases.offsets, 'the records took longer than the offsets');
  });

  it('aborts only once the records are answered too when the offsets fail, and never commits', async () => {
    const { producer, log, records, offsets } = producerWithHeldAnswers();
    const run = runTransaction(producer, RECORDS, OFFSETS);
    const outcome = assert.rejects(run, /generation over/);
    await turns();
    offsets.reject(new Error('generation over'));
    await turns();
    assert.equal(log.includes('abort'), false, 'the records are still in flight');

    records.resolve();
    await outcome;
    assert.deepEqual(log, ['records sent', 'offsets sent', 'records acknowledged', 'abort']);
  });

  it('aborts and rethrows when the records fail after the offsets were committed', async () => {
    const { producer, log, records, offsets } = producerWithHeldAnswers();
    const run = runTransaction(producer, RECORDS, OFFSETS);
    const outcome = assert.rejects(run, /MESSAGE_TOO_LARGE/);
    offsets.resolve();
    await turns();
    records.reject(new Error('MESSAGE_TOO_LARGE'));
    await outcome;
    assert.deepEqual(log, ['records sent', 'offsets sent', 'offsets committed', 'abort']);
  });

  it("reads the topics' limits before the transaction opens, and cuts its requests to them", async () => {
    const log: string[] = [];
    const producer = {
      transaction: async () => {
        log.push('transaction');
        return {
          sendBatch: async ({ topicMessages }: { topicMessages: { messages: unknown[] }[] }) =>
            void log.push(`request of ${topicMessages[0]!.messages.length}`),
          sendOffsets: async () => undefined,
          commit: async () => void log.push('commit'),
          abort: async () => void log.push('abort'),
        };
      },
    } as unknown as Producer;
    // A topic that takes 64 KiB a batch: 30 KB records go two to a request.
    const limits = {
      load: async (topics: Iterable<string>) => void log.push(`load ${[...new Set(topics)]}`),
      maxMessageBytes: () => 65_536,
    } as unknown as TopicLimits;
    const records = Array.from({ length: 5 }, (_, i) => ({
      topic: 'small',
      key: `k${i}`,
      value: Buffer.alloc(30_000),
    }));
    await runTransaction(producer, records, OFFSETS, { limits });
    assert.deepEqual(log, [
      'load small',
      'transaction',
      'request of 2',
      'request of 2',
      'request of 1',
      'commit',
    ]);
  });

  it("tries the offsets again while the id's last transaction is being completed, and only then", async () => {
    const refusal = (type: string) => Object.assign(new Error(type), { type, retriable: true });
    const outcomes = async (answers: string[]) => {
      const log: string[] = [];
      const producer = {
        transaction: async () => ({
          sendBatch: async () => void log.push('records'),
          sendOffsets: async () => {
            const answer = answers.shift()!;
            log.push(`offsets ${answer}`);
            if (answer !== 'ok') throw refusal(answer);
          },
          commit: async () => void log.push('commit'),
          abort: async () => void log.push('abort'),
        }),
      } as unknown as Producer;
      await runTransaction(producer, RECORDS, OFFSETS).catch((err: Error) => log.push(err.message));
      return log;
    };
    assert.deepEqual(
      (await outcomes(['CONCURRENT_TRANSACTIONS', 'CONCURRENT_TRANSACTIONS', 'ok'])).filter(
        (l) => l.startsWith('offsets') || l === 'commit',
      ),
      [
        'offsets CONCURRENT_TRANSACTIONS',
        'offsets CONCURRENT_TRANSACTIONS',
        'offsets ok',
        'commit',
      ],
    );
    assert.deepEqual(
      (await outcomes(['ILLEGAL_GENERATION', 'ok'])).filter((l) => l !== 'records'),
      ['offsets ILLEGAL_GENERATION', 'abort', 'ILLEGAL_GENERATION'],
    );
  });
});

import assert from 'node:assert/strict';
import { EventEmitter } from 'node:events';
import { describe, it } from 'node:test';
import type { ProducerBatch } from 'kafkajs';
import { BatchingProducer, type OutgoingRecord, type ProducerPort } from './batching.producer';
import { MAX_REQUEST_BYTES } from './request.split';

/**
 * A producer that keeps every request it was given (one `sendBatch` is one Produce request per
 * broker) and refuses any request holding a record whose key is in `refused`, as a broker refuses
 * a whole request over one bad record (a record too large, say).
 */
function recordingProducer(refused: ReadonlySet<string> = new Set()) {
  const requests: string[][] = [];
  const events = new EventEmitter();
  const port: ProducerPort = {
    events: { CONNECT: 'producer.connect', DISCONNECT: 'producer.disconnect' },
    on: (event: string, listener: () => void) => {
      events.on(event, listener);
      return () => events.off(event, listener);
    },
    connect: async () => undefined,
    disconnect: async () => undefined,
    sendBatch: async (batch: ProducerBatch) => {
      const keys = (batch.topicMessages ?? []).flatMap((t) => t.messages.map((m) => String(m.key)));
      requests.push(keys);
      if (keys.some((k) => refused.has(k))) throw new Error('MESSAGE_TOO_LARGE');
      return [];
    },
  } as unknown as ProducerPort;
  return { port, requests };
}

const records = (...keys: string[]): OutgoingRecord[] =>
  keys.map((key) => ({ topic: 'leads.normalized', key, value: Buffer.from(key) }));

describe('BatchingProducer.sendTogether', () => {
  it('sends the records of every caller of one turn of the event loop as one request', async () => {
    const { port, requests } = recordingProducer();
    const sut = new BatchingProducer(port);

    await Promise.all([
      sut.sendTogether(records('p0-a', 'p0-b')),
      sut.sendTogether(records('p1-a')),
      sut.sendTogether(records('p2-a')),
    ]);

    assert.deepEqual(requests, [['p0-a', 'p0-b', 'p1-a', 'p2-a']]);
  });

  it('starts a new request for a caller of a later turn', async () => {
    const { port, requests } = recordingProducer();
    const sut = new BatchingProducer(port);

    await sut.sendTogether(records('first'));
    await sut.sendTogether(records('second'));

    assert.deepEqual(requests, [['first'], ['second']]);
  });

  it('cuts callers’ records over MAX_REQUEST_BYTES into requests sent one after another, in order', async () => {
    const { port, requests } = recordingProducer();
    let inFlight = 0;
    let most = 0;
    const send = port.sendBatch.bind(port);
    port.sendBatch = async (batch) => {
      most = Math.max(most, ++inFlight);
      await new Promise((resolve) => setImmediate(resolve));
      inFlight--;
      return send(batch);
    };
    const sut = new BatchingProducer(port);
    // Six partitions' chunks of 100 records of 5 KB: 3 MB together.
    const chunk = (p: number) =>
      Array.from({ length: 100 }, (_, i) => ({
        topic: 'leads.normalized',
        key: `p${p}-${i}`,
        value: Buffer.alloc(5_000),
      }));
    await Promise.all([0, 1, 2, 3, 4, 5].map((p) => sut.sendTogether(chunk(p))));

    assert.ok(requests.length >= 3, `requests: ${requests.map((r) => r.length).join(', ')}`);
    assert.ok(requests.every((keys) => keys.length * 5_000 <= MAX_REQUEST_BYTES));
    assert.equal(most, 1, 'one request at a time, so a partition keeps its order');
    assert.deepEqual(
      requests.flat(),
      [0, 1, 2, 3, 4, 5].flatMap((p) => chunk(p).map((r) => r.key)),
    );
  });

  it('sends nothing for a caller with no records', async () => {
    const { port, requests } = recordingProducer();
    await new BatchingProducer(port).sendTogether([]);
    assert.deepEqual(requests, []);
  });

  it('keeps a refused record with its own caller: the others are sent again on their own and acknowledged', async () => {
    const { port, requests } = recordingProducer(new Set(['too-large']));
    const sut = new BatchingProducer(port);

    const outcomes = await Promise.allSettled([
      sut.sendTogether(records('p0-a')),
      sut.sendTogether(records('p1-a', 'too-large')),
      sut.sendTogether(records('p2-a')),
    ]);

    assert.deepEqual(
      outcomes.map((o) => o.status),
      ['fulfilled', 'rejected', 'fulfilled'],
    );
    assert.match(String((outcomes[1] as PromiseRejectedResult).reason), /MESSAGE_TOO_LARGE/);
    assert.deepEqual(requests, [
      ['p0-a', 'p1-a', 'too-large', 'p2-a'],
      ['p0-a'],
      ['p1-a', 'too-large'],
      ['p2-a'],
    ]);
  });
});

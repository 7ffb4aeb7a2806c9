import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { askWhileRetriable } from './topic.admin';

/** An error as kafkajs throws it for a code it marks retriable (NOT_LEADER_OR_FOLLOWER, say). */
const protocolError = (message: string, retriable: boolean) =>
  Object.assign(new Error(message), { retriable });

describe('askWhileRetriable', () => {
  it('asks again while the answer is retriable, and returns the first good one', async () => {
    let calls = 0;
    const answer = await askWhileRetriable(async () => {
      calls++;
      if (calls < 3)
        throw protocolError('This server is not the leader for that topic-partition', true);
      return 'offsets';
    });
    assert.equal(answer, 'offsets');
    assert.equal(calls, 3);
  });

  it('throws a non-retriable error at once', async () => {
    let calls = 0;
    await assert.rejects(
      askWhileRetriable(async () => {
        calls++;
        throw protocolError('Invalid topic', false);
      }),
      /Invalid topic/,
    );
    assert.equal(calls, 1);
  });

  it('throws the last retriable error once the next wait would pass the deadline', async () => {
    let calls = 0;
    await assert.rejects(
      askWhileRetriable(async () => {
        calls++;
        throw protocolError(`not the leader (${calls})`, true);
      }, 250),
      /not the leader \(2\)/,
    );
    assert.equal(calls, 2);
  });
});

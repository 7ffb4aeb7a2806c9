import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { TurnGatherer } from './turn.gatherer';

/** A request sender that keeps every request and refuses one holding `bad`. */
function recordingSend(bad = -1) {
  const requests: number[][] = [];
  const send = async (items: number[]) => {
    requests.push(items);
    if (items.includes(bad)) throw new Error(`refused ${bad}`);
  };
  return { requests, send };
}

const outcome = (p: Promise<void>) =>
  p.then(
    () => 'ok',
    (err: unknown) => (err as Error).message,
  );

describe('TurnGatherer', () => {
  it('sends what one turn of the event loop hands over as one request', async () => {
    const { requests, send } = recordingSend();
    const sut = new TurnGatherer(send, 'fail-all');
    assert.deepEqual(await Promise.all([sut.add(1), sut.add(2), sut.add(3)]), [
      undefined,
      undefined,
      undefined,
    ]);
    await sut.add(4);
    assert.deepEqual(requests, [[1, 2, 3], [4]]);
  });

  it("'fail-all': a refused request fails every caller it carried, and nothing is sent again", async () => {
    const { requests, send } = recordingSend(2);
    const sut = new TurnGatherer(send, 'fail-all');
    const results = await Promise.all([1, 2, 3].map((n) => outcome(sut.add(n))));
    assert.deepEqual(results, ['refused 2', 'refused 2', 'refused 2']);
    assert.deepEqual(requests, [[1, 2, 3]]);
  });

  it("'each-alone': a refused request is sent again caller by caller, the error staying with its cause", async () => {
    const { requests, send } = recordingSend(2);
    const sut = new TurnGatherer(send, 'each-alone');
    const results = await Promise.all([1, 2, 3].map((n) => outcome(sut.add(n))));
    assert.deepEqual(results, ['ok', 'refused 2', 'ok']);
    assert.deepEqual(requests, [[1, 2, 3], [1], [2], [3]]);
  });

  it("'each-alone': a caller that had the request to itself is not sent twice", async () => {
    const { requests, send } = recordingSend(2);
    const sut = new TurnGatherer(send, 'each-alone');
    assert.equal(await outcome(sut.add(2)), 'refused 2');
    assert.deepEqual(requests, [[2]]);
  });
});

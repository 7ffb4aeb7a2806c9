import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { mapKeyed } from './keyed.concurrency';

interface Item {
  id: string;
  key: string | null;
}

const item = (id: string, key: string | null = id[0] ?? null): Item => ({ id, key });
const keyOf = (i: Item) => i.key;
const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Runs `items` through mapKeyed, each taking `ticks[id] ?? 1` turns of the event loop. */
async function trace(items: Item[], limit: number, ticks: Record<string, number> = {}) {
  const events: string[] = [];
  let active = 0;
  let most = 0;
  const results = await mapKeyed(items, limit, keyOf, async (i) => {
    active++;
    most = Math.max(most, active);
    events.push(`start ${i.id}`);
    for (let t = 0; t < (ticks[i.id] ?? 1); t++) await tick();
    events.push(`end ${i.id}`);
    active--;
    return i.id.toUpperCase();
  });
  return { events, most, results };
}

describe('mapKeyed', () => {
  it('with a limit of 1 handles one item after the other, in input order', async () => {
    const sut = await trace([item('a1'), item('b1'), item('a2')], 1);
    assert.deepEqual(sut.events, [
      'start a1',
      'end a1',
      'start b1',
      'end b1',
      'start a2',
      'end a2',
    ]);
    assert.deepEqual(sut.results, ['A1', 'B1', 'A2']);
  });

  it('starts an item only after the earlier items of its key have finished', async () => {
    const sut = await trace([item('a1'), item('b1'), item('a2'), item('a3')], 4, { a1: 5 });
    const at = (event: string) => sut.events.indexOf(event);
    assert.ok(at('start b1') < at('end a1'), 'another key overtakes a slow one');
    assert.ok(at('end a1') < at('start a2'), sut.events.join(', '));
    assert.ok(at('end a2') < at('start a3'), sut.events.join(', '));
  });

  it('never has more than `limit` items in flight, and uses all of them', async () => {
    const items = ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h'].map((k) => item(`${k}1`));
    const sut = await trace(items, 3);
    assert.equal(sut.most, 3);
  });

  it('returns the results in input order when items finish out of order', async () => {
    const sut = await trace([item('a1'), item('b1'), item('c1')], 3, { a1: 6, b1: 3 });
    assert.deepEqual(
      sut.events.filter((e) => e.startsWith('end')),
      ['end c1', 'end b1', 'end a1'],
    );
    assert.deepEqual(sut.results, ['A1', 'B1', 'C1']);
  });

  it('does not order items without a key among themselves', async () => {
    const sut = await trace([item('x1', null), item('x2', null)], 2, { x1: 5 });
    assert.ok(sut.events.indexOf('end x2') < sut.events.indexOf('end x1'), sut.events.join(', '));
  });

  it('rejects with the failure, and still runs the next item of the failed key', async () => {
    const ran: string[] = [];
    const sut = mapKeyed([item('a1'), item('a2')], 2, keyOf, async (i) => {
      await tick();
      ran.push(i.id);
      if (i.id === 'a1') throw new Error('a1 failed');
      return i.id;
    });
    await assert.rejects(sut, /a1 failed/);
    for (let t = 0; t < 5 && ran.length < 2; t++) await tick();
    assert.deepEqual(ran, ['a1', 'a2']);
  });
});

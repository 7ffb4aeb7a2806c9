import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { PartitionHeldIndex, type HeldEntry } from './held.index';

const entry = (key: string, dueAt: number, group = 'away'): HeldEntry => ({
  key,
  dueAt,
  group,
  value: Buffer.from(key),
});

describe('PartitionHeldIndex', () => {
  it('gives the due leads earliest first, up to the limit, and removes them', () => {
    const sut = new PartitionHeldIndex();
    sut.put(entry('c', 30));
    sut.put(entry('a', 10));
    sut.put(entry('b', 20));
    sut.put(entry('d', 40));
    assert.equal(sut.nextDue(), 10);
    assert.deepEqual(
      sut.takeDue(30, 2).map((e) => e.key),
      ['a', 'b'],
    );
    assert.deepEqual(
      sut.takeDue(30, 10).map((e) => e.key),
      ['c'],
    );
    assert.equal(sut.size, 1);
    assert.equal(sut.nextDue(), 40);
  });

  it('keeps the latest record of a lead: a lead written again moves to its new due time', () => {
    const sut = new PartitionHeldIndex();
    sut.put(entry('a', 10));
    sut.put(entry('a', 50));
    assert.equal(sut.size, 1);
    assert.deepEqual(sut.takeDue(49, 10), []);
    assert.deepEqual(
      sut.takeDue(50, 10).map((e) => [e.key, e.dueAt]),
      [['a', 50]],
    );
  });

  it('forgets a lead on its tombstone', () => {
    const sut = new PartitionHeldIndex();
    sut.put(entry('a', 10));
    sut.remove('a');
    sut.remove('never-held');
    assert.equal(sut.size, 0);
    assert.equal(sut.nextDue(), null);
    assert.deepEqual(sut.takeDue(100, 10), []);
  });

  it('counts held leads per queue group', () => {
    const sut = new PartitionHeldIndex();
    sut.put(entry('a', 10, 'away'));
    sut.put(entry('b', 10, 'away'));
    sut.put(entry('c', 10, 'sales'));
    sut.put(entry('c', 20, 'away'));
    sut.remove('a');
    assert.deepEqual([...sut.byGroup], [['away', 2]]);
  });

  it('keeps memory to the leads held, however often they are written and removed', () => {
    const sut = new PartitionHeldIndex();
    for (let i = 0; i < 100_000; i++) {
      sut.put(entry(`lead-${i % 10}`, i));
      if (i % 3 === 0) sut.remove(`lead-${(i + 5) % 10}`);
    }
    assert.ok(sut.size <= 10);
    assert.ok(sut.heapSlots <= 2 * sut.size + 65, `${sut.heapSlots} heap slots`);
  });
});

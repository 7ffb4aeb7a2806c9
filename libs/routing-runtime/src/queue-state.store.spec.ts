import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { emptyQueueState, type QueueState } from '@lead-router/routing';
import type { QueueStateSnapshot } from '@lead-router/schemas';
import { QueueStateStore } from './queue-state.store';
import { InMemoryChangelog, NOON, TOPICS } from './routing-runtime.fixture';

const state = (position: number): QueueState => ({ ...emptyQueueState(), position });

const snapshot = (group: string, position: number, offset: number): QueueStateSnapshot => ({
  queue_group: group,
  states_json: JSON.stringify({ [group]: state(position) }),
  input_partition: 0,
  input_offset: offset,
  source_offsets_json: '{"2":40}',
  updated_at: NOON,
});

function setup(changelog = new InMemoryChangelog()) {
  const sut = new QueueStateStore({
    topic: TOPICS.queueState,
    readChangelog: changelog.read,
    now: () => NOON,
  });
  return { sut, changelog };
}

describe('QueueStateStore', () => {
  it('restores each group from its newest snapshot on the changelog', async () => {
    const changelog = new InMemoryChangelog();
    changelog.snapshots.push(snapshot('sales', 1, 4), snapshot('sales', 5, 9), snapshot('b', 2, 3));
    const { sut } = setup(changelog);
    await sut.restoreIfStale(0);
    assert.equal(sut.states('sales', 0).get('sales')?.position, 5);
    assert.equal(sut.states('b', 0).get('b')?.position, 2);
    assert.equal(sut.states('unknown', 0).size, 0);
  });

  it('calls a record applied only on the same partition at or below the recorded offset', () => {
    const { sut } = setup();
    sut.update('sales', 1, '10', [{ queue: 'sales', state: state(1) }]);
    assert.equal(sut.applied('sales', 1, '10'), true);
    assert.equal(sut.applied('sales', 1, '9'), true);
    assert.equal(sut.applied('sales', 1, '11'), false);
    assert.equal(sut.applied('sales', 2, '3'), false);
    assert.equal(sut.applied('other', 1, '3'), false);
  });

  it('drains one snapshot per group changed since the last drain', () => {
    const { sut } = setup();
    sut.update('a', 0, '1', [{ queue: 'a', state: state(1) }]);
    sut.update('a', 0, '2', [{ queue: 'a', state: state(2) }]);
    sut.update('b', 0, '3', [{ queue: 'b', state: state(7) }]);
    assert.deepEqual(sut.drainSnapshots(0), [
      {
        topic: 'router.queue-state',
        key: 'a',
        value: {
          queue_group: 'a',
          states_json: JSON.stringify({ a: state(2) }),
          input_partition: 0,
          input_offset: 2,
          source_offsets_json: '{}',
          updated_at: NOON,
        },
      },
      {
        topic: 'router.queue-state',
        key: 'b',
        value: {
          queue_group: 'b',
          states_json: JSON.stringify({ b: state(7) }),
          input_partition: 0,
          input_offset: 3,
          source_offsets_json: '{}',
          updated_at: NOON,
        },
      },
    ]);
    assert.deepEqual(sut.drainSnapshots(0), []);
  });

  it('knows which leads.enriched positions each group passed, from the changelog and from its updates', async () => {
    const changelog = new InMemoryChangelog();
    changelog.snapshots.push(snapshot('sales', 1, 4)); // sales passed leads.enriched 2@40
    const { sut } = setup(changelog);
    await sut.restoreIfStale(0);
    assert.equal(sut.passed('sales', 0, { partition: 2, offset: 40n }), true);
    assert.equal(sut.passed('sales', 0, { partition: 2, offset: 41n }), false);
    assert.equal(sut.passed('sales', 0, { partition: 3, offset: 0n }), false);
    assert.equal(sut.passed('other', 0, { partition: 2, offset: 1n }), false);
    // A snapshot written before the field existed reads with its default, as none passed.
    changelog.snapshots.push({ ...snapshot('old', 1, 1), source_offsets_json: '' });
    sut.invalidate();
    await sut.restoreIfStale(0);
    assert.equal(sut.passed('old', 0, { partition: 2, offset: 0n }), false);
    sut.update('sales', 0, '5', [], { partition: 3, offset: 7n });
    assert.equal(sut.passed('sales', 0, { partition: 3, offset: 7n }), true);
    const [out] = sut.drainSnapshots(0);
    assert.deepEqual(JSON.parse((out?.value as QueueStateSnapshot).source_offsets_json), {
      2: 40,
      3: 7,
    });
  });

  it('forgets what it held when it restores after an invalidation', async () => {
    const { sut, changelog } = setup();
    await sut.restoreIfStale(0);
    sut.update('a', 0, '1', [{ queue: 'a', state: state(1) }]);
    sut.invalidate();
    await sut.restoreIfStale(0);
    assert.equal(changelog.reads, 2);
    assert.equal(sut.states('a', 0).size, 0);
    assert.deepEqual(sut.drainSnapshots(0), []);
  });

  it('keeps each partition apart: its own snapshots, and an invalidation drops only its own state', async () => {
    const changelog = new InMemoryChangelog();
    changelog.snapshots.push(snapshot('a', 1, 4));
    const { sut } = setup(changelog);
    await sut.restoreIfStale(0);
    await sut.restoreIfStale(1);
    sut.update('a', 0, '5', [{ queue: 'a', state: state(2) }]);
    sut.update('b', 1, '8', [{ queue: 'b', state: state(3) }]);
    // Partition 1's transaction failed: its state is read back, partition 0's advance stays.
    sut.invalidate(1);
    await sut.restoreIfStale(0);
    await sut.restoreIfStale(1);
    assert.equal(changelog.reads, 3);
    assert.equal(sut.states('a', 0).get('a')?.position, 2);
    assert.equal(sut.states('b', 1).size, 0);
    assert.deepEqual(
      sut.drainSnapshots(1).map((o) => o.key),
      [],
    );
    assert.deepEqual(
      sut.drainSnapshots(0).map((o) => o.key),
      ['a'],
    );
  });
});

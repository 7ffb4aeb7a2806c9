import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import { FakeClock, FakeHeldTopic, heldRecordValue, settle } from './held-queue.fixture';
import { HeldQueue, releasedAssignment } from './held.queue';
import { NOON, assignment, silentLogger } from './routing-runtime.fixture';

const MINUTE = 60_000;

function setup(partitions = 2) {
  const clock = new FakeClock();
  const topic = new FakeHeldTopic(partitions);
  const released: Record<string, number> = {};
  const sut = new HeldQueue({
    ports: topic,
    logger: silentLogger(),
    now: () => clock.now,
    timers: clock,
    retryMs: 5_000,
    onReleased: (group, n) => (released[group] = (released[group] ?? 0) + n),
  });
  /** The group assigns these partitions; the consumer then reads what the held queue sought. */
  const assign = async (ps: number[]) => {
    await sut.assigned(ps);
    await topic.consume(sut);
  };
  const leadIds = () => topic.assigned.map((a) => a.value.enriched.lead.lead_id);
  return { sut, clock, topic, released, assign, leadIds };
}

describe('HeldQueue', () => {
  it('releases a held lead to router.assign when due, not before, and tombstones it on router.held', async () => {
    const { clock, topic, assign, leadIds, released } = setup();
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON + 10 * MINUTE));
    await assign([0, 1]);
    await clock.advance(10 * MINUTE - 1);
    assert.deepEqual(leadIds(), []);
    await clock.advance(1);
    assert.deepEqual(leadIds(), ['lead-1']);
    const [out] = topic.assigned;
    assert.equal(out!.key, 'away');
    assert.equal(out!.value.held_until, 0);
    assert.deepEqual(topic.visible(0).at(-1), { key: 'lead-1', value: null });
    assert.deepEqual(released, { away: 1 });
  });

  it('writes nothing while leads wait, however long: one timer, no re-produce', async () => {
    const { clock, topic, assign, leadIds, sut } = setup();
    for (let i = 0; i < 100; i++) {
      topic.append(i % 2, `lead-${i}`, heldRecordValue(`lead-${i}`, NOON + 24 * 60 * MINUTE));
    }
    await assign([0, 1]);
    const before = topic.logs.get(0)!.length + topic.logs.get(1)!.length;
    await clock.advance(24 * 60 * MINUTE - 1);
    await topic.consume(sut);
    assert.equal(topic.logs.get(0)!.length + topic.logs.get(1)!.length, before);
    assert.deepEqual(leadIds(), []);
    assert.equal(clock.timers, 1);
    await clock.advance(1);
    assert.equal(leadIds().length, 100);
    assert.equal(new Set(leadIds()).size, 100);
  });

  it('releases leads in due order, each at its own time', async () => {
    const { clock, topic, assign, leadIds } = setup();
    topic.append(0, 'late', heldRecordValue('late', NOON + 3 * MINUTE));
    topic.append(1, 'early', heldRecordValue('early', NOON + MINUTE));
    topic.append(0, 'middle', heldRecordValue('middle', NOON + 2 * MINUTE));
    await assign([0, 1]);
    await clock.advance(MINUTE);
    assert.deepEqual(leadIds(), ['early']);
    await clock.advance(MINUTE);
    assert.deepEqual(leadIds(), ['early', 'middle']);
    await clock.advance(MINUTE);
    assert.deepEqual(leadIds(), ['early', 'middle', 'late']);
  });

  it('fences a partition before it reads it, and reads it from its start', async () => {
    const { topic, sut } = setup(1);
    topic.positions.set(0, 7);
    await sut.assigned([0]);
    assert.deepEqual(topic.calls, ['fence 0', 'offsets 0', 'seek 0 0']);
  });

  it('releases nothing of a partition until it is read to its end: a tombstone further on wins', async () => {
    const { clock, topic, sut, leadIds } = setup(1);
    // A release committed by the partition's previous owner: the lead, then its tombstone.
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON - MINUTE));
    topic.append(0, 'lead-2', heldRecordValue('lead-2', NOON - MINUTE));
    topic.append(0, 'lead-1', null);
    topic.marker(0);
    await sut.assigned([0]);
    // The first fetch ends before the tombstone: nothing may be released yet.
    await sut.records(0, '0', '1', [
      { offset: '0', key: 'lead-1', value: topic.visible(0)[0]!.value },
      { offset: '1', key: 'lead-2', value: topic.visible(0)[1]!.value },
    ]);
    await settle();
    assert.deepEqual(sut.readyPartitions, []);
    assert.deepEqual(leadIds(), []);
    await sut.records(0, '2', '3', [{ offset: '2', key: 'lead-1', value: null }]);
    await settle();
    assert.deepEqual(leadIds(), ['lead-2']);
    await clock.advance(MINUTE);
    assert.deepEqual(leadIds(), ['lead-2']);
  });

  it('finishes a rebuild on a fetch that held only transaction markers', async () => {
    const { topic, sut, leadIds } = setup(1);
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON));
    topic.marker(0);
    await sut.assigned([0]);
    await sut.records(0, '0', '0', [
      { offset: '0', key: 'lead-1', value: topic.visible(0)[0]!.value },
    ]);
    assert.deepEqual(sut.readyPartitions, []);
    sut.skipped(0, '1', '1');
    await settle();
    assert.deepEqual(sut.readyPartitions, [0]);
    assert.deepEqual(leadIds(), ['lead-1']);
  });

  it('steps past offsets compaction emptied when a fetch from where it stands holds only markers', async () => {
    const { topic, sut, leadIds } = setup(1);
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON));
    topic.append(0, 'lead-2', heldRecordValue('lead-2', NOON));
    topic.append(0, 'lead-2', null);
    topic.marker(0);
    topic.compact(0, [1, 2]);
    await sut.assigned([0]);
    await sut.records(0, '0', '0', [
      { offset: '0', key: 'lead-1', value: topic.visible(0)[0]!.value },
    ]);
    sut.fetched(0, '0');
    // The fetch from offset 1 finds nothing before the marker at 3.
    sut.skipped(0, '3', '3');
    sut.fetched(0, '3');
    await settle();
    assert.deepEqual(sut.readyPartitions, [0]);
    assert.deepEqual(leadIds(), ['lead-1']);
  });

  it('does not step past offsets it has not read: it sends the consumer back instead', async () => {
    const { topic, sut, leadIds } = setup(1);
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON));
    topic.append(0, 'lead-2', heldRecordValue('lead-2', NOON));
    topic.append(0, 'lead-2', null);
    topic.marker(0);
    await sut.assigned([0]);
    await sut.records(0, '0', '0', [
      { offset: '0', key: 'lead-1', value: topic.visible(0)[0]!.value },
    ]);
    sut.fetched(0, '0');
    // A batch dropped as stale (offsets 1-2), then markers only: offsets 1-2 were never indexed.
    sut.fetched(0, '2');
    sut.skipped(0, '3', '3');
    sut.fetched(0, '3');
    await settle();
    assert.deepEqual(sut.readyPartitions, []);
    await sut.records(0, '4', '4', [
      { offset: '4', key: 'lead-3', value: heldRecordValue('lead-3', NOON) },
    ]);
    assert.equal(topic.calls.at(-1), 'seek 0 1');
    topic.positions.set(0, 1);
    await topic.consume(sut);
    assert.deepEqual(sut.readyPartitions, [0]);
    assert.deepEqual(leadIds(), ['lead-1']);
  });

  it('ignores a batch that does not start where the rebuild stands (fetched before the seek)', async () => {
    const { topic, sut, leadIds } = setup(1);
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON));
    topic.append(0, 'lead-1', null);
    await sut.assigned([0]);
    // A batch from an earlier position: lead-1 without the tombstone before it.
    await sut.records(0, '1', '1', [{ offset: '1', key: 'lead-1', value: null }]);
    await sut.records(0, '5', '5', [
      { offset: '5', key: 'lead-9', value: heldRecordValue('lead-9', NOON) },
    ]);
    await settle();
    assert.deepEqual(sut.readyPartitions, []);
    await topic.consume(sut);
    assert.deepEqual(sut.readyPartitions, [0]);
    assert.deepEqual(leadIds(), []);
  });

  it('a released lead read back (its tombstone) is released no second time', async () => {
    const { clock, topic, assign, sut, leadIds } = setup(1);
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON + MINUTE));
    await assign([0]);
    await clock.advance(MINUTE);
    await topic.consume(sut);
    await clock.advance(10 * MINUTE);
    assert.deepEqual(leadIds(), ['lead-1']);
    assert.deepEqual(sut.held(), []);
  });

  it('holds a lead again when the assign step writes it again after its release', async () => {
    const { clock, topic, assign, sut, leadIds } = setup(1);
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON + MINUTE));
    await assign([0]);
    await clock.advance(MINUTE);
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON + 5 * MINUTE));
    await topic.consume(sut);
    await clock.advance(3 * MINUTE);
    assert.deepEqual(leadIds(), ['lead-1']);
    await clock.advance(MINUTE);
    assert.deepEqual(leadIds(), ['lead-1', 'lead-1']);
  });

  it('a release that failed before its commit: the partition is rebuilt and the lead released once', async () => {
    const { clock, topic, assign, sut, leadIds } = setup(1);
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON + MINUTE));
    await assign([0]);
    topic.failNextRelease = 'before';
    await clock.advance(MINUTE);
    assert.deepEqual(leadIds(), []);
    await clock.advance(5_000);
    assert.equal(topic.calls.filter((c) => c === 'fence 0').length, 2);
    await topic.consume(sut);
    assert.deepEqual(leadIds(), ['lead-1']);
  });

  it('a release that committed but reported a failure is not released again after the rebuild', async () => {
    const { clock, topic, assign, sut, leadIds } = setup(1);
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON + MINUTE));
    await assign([0]);
    topic.failNextRelease = 'after';
    await clock.advance(MINUTE);
    await clock.advance(5_000);
    await topic.consume(sut);
    await clock.advance(MINUTE);
    assert.deepEqual(leadIds(), ['lead-1']);
    assert.deepEqual(sut.readyPartitions, [0]);
  });

  it('a fencing that failed is tried again, and nothing is read before it succeeds', async () => {
    const { clock, topic, sut, leadIds } = setup(1);
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON));
    topic.failNextFence = true;
    await sut.assigned([0]);
    await topic.consume(sut);
    assert.deepEqual(leadIds(), []);
    await clock.advance(5_000);
    await topic.consume(sut);
    assert.deepEqual(leadIds(), ['lead-1']);
  });

  it('on a rebalance drops the index of partitions that went elsewhere and releases none of them', async () => {
    const { clock, topic, assign, sut, leadIds } = setup(2);
    topic.append(0, 'lead-0', heldRecordValue('lead-0', NOON + MINUTE, 'away'));
    topic.append(1, 'lead-1', heldRecordValue('lead-1', NOON + MINUTE, 'sales'));
    await assign([0, 1]);
    assert.deepEqual(sut.held(), [
      { partition: 0, group: 'away', count: 1 },
      { partition: 1, group: 'sales', count: 1 },
    ]);
    await assign([1]);
    assert.deepEqual(sut.held(), [{ partition: 1, group: 'sales', count: 1 }]);
    await clock.advance(MINUTE);
    assert.deepEqual(leadIds(), ['lead-1']);
  });

  it('rebuilds a partition it keeps across a rebalance from its start, releasing each lead once', async () => {
    const { clock, topic, assign, sut, leadIds } = setup(1);
    topic.append(0, 'a', heldRecordValue('a', NOON + MINUTE));
    topic.append(0, 'b', heldRecordValue('b', NOON + 2 * MINUTE));
    await assign([0]);
    await clock.advance(MINUTE);
    await assign([0]);
    await clock.advance(MINUTE);
    await topic.consume(sut);
    await clock.advance(MINUTE);
    assert.deepEqual(leadIds(), ['a', 'b']);
  });

  it('releases at most a batch per transaction', async () => {
    const clock = new FakeClock();
    const topic = new FakeHeldTopic(1);
    const sut = new HeldQueue({
      ports: topic,
      logger: silentLogger(),
      now: () => clock.now,
      timers: clock,
      releaseBatch: 2,
    });
    for (const id of ['a', 'b', 'c', 'd', 'e']) topic.append(0, id, heldRecordValue(id, NOON));
    await sut.assigned([0]);
    await topic.consume(sut);
    assert.deepEqual(
      topic.calls.filter((c) => c.startsWith('release')),
      ['release 0 a,b', 'release 0 c,d', 'release 0 e'],
    );
  });

  it('stops releasing once stopped', async () => {
    const { clock, topic, assign, sut, leadIds } = setup(1);
    topic.append(0, 'lead-1', heldRecordValue('lead-1', NOON + MINUTE));
    await assign([0]);
    await sut.stop();
    await clock.advance(MINUTE);
    assert.deepEqual(leadIds(), []);
  });
});

describe('releasedAssignment', () => {
  const enriched = enrichedLeadFixture({ lead: { lead_id: 'lead-1' } });

  it('goes back under its queue group, as the match step keys it, no longer held', () => {
    const a = assignment(enriched, { queue_group: 'away', held_until: NOON });
    assert.deepEqual(releasedAssignment(a), { key: 'away', value: { ...a, held_until: 0 } });
  });

  it('goes back under its lead id without a queue group', () => {
    const a = assignment(enriched, { queue_group: '', held_until: NOON });
    assert.equal(releasedAssignment(a).key, 'lead-1');
  });
});

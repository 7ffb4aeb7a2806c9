import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import { HeldStep } from './held.step';
import { NOON, TOPICS, assignment, at } from './routing-runtime.fixture';

function setup() {
  const clock = { now: NOON };
  const waits: number[] = [];
  const sut = new HeldStep({
    topics: TOPICS,
    now: () => clock.now,
    sleep: async (ms) => {
      waits.push(ms);
    },
  });
  return { sut, clock, waits };
}

const held = assignment(enrichedLeadFixture({ lead: { lead_id: 'lead-1' } }), {
  queue_group: 'away',
  held_until: NOON + 60_000,
});

describe('HeldStep', () => {
  it('sends a lead that is not due back round router.held, unchanged and under its key', () => {
    const { sut } = setup();
    assert.deepEqual(sut.handle(held, at(0, 0, 'away')), {
      kind: 'ok',
      outputs: [{ topic: 'router.held', key: 'away', value: held }],
    });
  });

  it('sends a due lead back to router.assign under its version, no longer held', () => {
    const { sut, clock } = setup();
    clock.now = NOON + 60_000;
    assert.deepEqual(sut.handle(held, at(0, 0, 'away')), {
      kind: 'ok',
      outputs: [{ topic: 'router.assign', key: 'away', value: { ...held, held_until: 0 } }],
    });
  });

  it('keys a record without a key by its lead id', () => {
    const { sut } = setup();
    const result = sut.handle(held, at(0, 0, null));
    assert.equal(result.kind === 'ok' && result.outputs[0]?.key, 'lead-1');
  });

  it('waits a second before a pass only when the pass before found nothing due', async () => {
    const { sut, clock, waits } = setup();
    await sut.beforeChunk();
    sut.handle(held, at(0));
    await sut.beforeChunk();
    assert.deepEqual(waits, [1000]);
    clock.now = NOON + 60_000;
    sut.handle(held, at(1));
    await sut.beforeChunk();
    assert.deepEqual(waits, [1000]);
  });
});

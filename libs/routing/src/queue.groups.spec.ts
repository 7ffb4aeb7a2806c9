import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { queueGroups } from './queue.groups';

const queue = (when_unavailable: object) => ({ when_unavailable }) as never;

describe('queueGroups', () => {
  it('joins queues chained by overflow, keeps the others apart, and names groups stably', () => {
    const sut = queueGroups({
      queues: {
        emea: queue({ overflow: 'global' }),
        americas: queue({ overflow: 'global' }),
        global: queue({ hold: true }),
        partners: queue({ hold: true }),
      },
    });
    assert.equal(sut.get('emea'), 'americas+emea+global');
    assert.equal(sut.get('americas'), 'americas+emea+global');
    assert.equal(sut.get('global'), 'americas+emea+global');
    assert.equal(sut.get('partners'), 'partners');
  });
});

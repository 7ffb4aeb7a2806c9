import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UsageError } from './cli.errors';
import { parseTime as sut } from './time.parser';

describe('parseTime', () => {
  const now = Date.parse('2026-11-25T12:00:00Z');

  it('reads relative times back from now', () => {
    assert.equal(sut('-30m', now).toISOString(), '2026-11-25T11:30:00.000Z');
    assert.equal(sut('-1h', now).toISOString(), '2026-11-25T11:00:00.000Z');
    assert.equal(sut('-7d', now).toISOString(), '2026-11-18T12:00:00.000Z');
    assert.equal(sut('now', now).getTime(), now);
  });

  it('reads ISO-8601 dates and times', () => {
    assert.equal(sut('2026-11-25T09:15:00Z').toISOString(), '2026-11-25T09:15:00.000Z');
    assert.equal(sut('2026-11-25T09:15:00+01:00').toISOString(), '2026-11-25T08:15:00.000Z');
  });

  it('refuses anything else as a usage error', () => {
    assert.throws(() => sut('yesterday', now), UsageError);
    assert.throws(() => sut('-1y', now), UsageError);
    assert.throws(() => sut('2026-13-45', now), UsageError);
  });
});

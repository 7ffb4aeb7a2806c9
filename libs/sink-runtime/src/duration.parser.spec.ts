import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { durationMs } from './duration.parser';

describe('durationMs', () => {
  it('reads the rule set’s durations and seconds as numbers', () => {
    assert.equal(durationMs('10s'), 10_000);
    assert.equal(durationMs('1m'), 60_000);
    assert.equal(durationMs('1h'), 3_600_000);
    assert.equal(durationMs('2w'), 1_209_600_000);
    assert.equal(durationMs('250ms'), 250);
    assert.equal(durationMs(30), 30_000);
  });

  it('refuses anything else, saying what it expects', () => {
    assert.throws(() => durationMs('ten seconds'), /expected e\.g\. 10s/);
  });
});

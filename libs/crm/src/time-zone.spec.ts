import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { nextMidnight } from './time-zone';

describe('nextMidnight', () => {
  const sut = nextMidnight;

  it('is the next UTC midnight in UTC', () => {
    const now = Date.parse('2026-11-25T12:34:56Z');
    assert.equal(sut(now, 'UTC'), Date.parse('2026-11-26T00:00:00Z'));
  });

  it('is midnight on the account’s clock, not the server’s', () => {
    // 23:30 UTC is already 00:30 on the 26th in Berlin: the next midnight there is the 27th.
    const now = Date.parse('2026-11-25T23:30:00Z');
    assert.equal(sut(now, 'Europe/Berlin'), Date.parse('2026-11-27T00:00:00+01:00'));
    assert.equal(sut(now, 'America/New_York'), Date.parse('2026-11-26T00:00:00-05:00'));
  });

  it('follows a daylight-saving change between now and midnight', () => {
    // New York springs forward at 02:00 on 2026-03-08 and falls back on 2026-11-01.
    assert.equal(
      sut(Date.parse('2026-03-08T01:00:00-05:00'), 'America/New_York'),
      Date.parse('2026-03-09T00:00:00-04:00'),
    );
    assert.equal(
      sut(Date.parse('2026-11-01T00:30:00-04:00'), 'America/New_York'),
      Date.parse('2026-11-02T00:00:00-05:00'),
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AttributesReader } from './attributes.reader';
import { normalizeSubmittedAt } from './timestamp.normalizer';

const AT = Date.UTC(2026, 10, 30, 9, 20, 30);

describe('normalizeSubmittedAt', () => {
  const sut = (value: string, name = 'created_time') =>
    normalizeSubmittedAt(new AttributesReader({ [name]: value }));

  it('reads ISO 8601 offsets, RFC 2822 and epoch times as the same UTC instant', () => {
    for (const input of [
      '2026-11-30T10:20:30+0100',
      '2026-11-30T04:20:30-05:00',
      'Mon, 30 Nov 2026 10:20:30 +0100',
      '1796030430',
    ]) {
      assert.deepEqual(sut(input), { submittedAt: AT, withoutZone: false }, input);
    }
  });

  it('reads a time without a zone as UTC, saying so', () => {
    assert.deepEqual(sut('2026-11-30 09:20:30', 'Submitted At'), {
      submittedAt: AT,
      withoutZone: true,
    });
  });

  it('refuses a date whose day and month order is a guess', () => {
    assert.equal(sut('11/30/2026').submittedAt, null);
    assert.equal(sut('11/30/2026').issue?.code, 'unreadable_timestamp');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  ATTEMPTS_HEADER,
  DESTINATION_HEADER,
  DUE_AT_HEADER,
  FALLBACK_FROM_HEADER,
  attemptOf,
  destinationOf,
  dueAtOf,
  fallbackFromOf,
  headersToStrings,
  withAttempts,
  withDestination,
  withDueAt,
  withFallbackFrom,
} from './record.headers';

describe('headersToStrings', () => {
  it('reads buffers and strings, joins repeated headers, and drops undefined ones', () => {
    const sut = headersToStrings({
      [ATTEMPTS_HEADER]: Buffer.from('2'),
      trace: 'abc',
      tags: [Buffer.from('a'), 'b'],
      gone: undefined,
    });
    assert.deepEqual(sut, { [ATTEMPTS_HEADER]: '2', trace: 'abc', tags: 'a,b' });
  });

  it('reads a record without headers as none', () => {
    assert.deepEqual(headersToStrings(undefined), {});
  });
});

describe('attemptOf', () => {
  it('counts a first pass as attempt 1', () => {
    assert.equal(attemptOf({}), 1);
  });

  it('counts one more than a replayed record carries', () => {
    assert.equal(attemptOf({ [ATTEMPTS_HEADER]: '3' }), 4);
  });

  it('reads a header that is not a count as no attempts so far', () => {
    for (const bad of ['', 'x', '-2', '1.5', 'NaN']) {
      assert.equal(attemptOf({ [ATTEMPTS_HEADER]: bad }), 1, JSON.stringify(bad));
    }
  });
});

describe('withAttempts', () => {
  it('sets the attempts header, keeps the others, and leaves its input alone', () => {
    const headers = Object.freeze({ trace: 'abc', [ATTEMPTS_HEADER]: '1' });
    const sut = withAttempts(headers, 2);
    assert.deepEqual(sut, { trace: 'abc', [ATTEMPTS_HEADER]: '2' });
    assert.equal(attemptOf(sut), 3);
  });
});

describe('dueAtOf and withDueAt', () => {
  it('reads back the due time it wrote, keeping the other headers', () => {
    const headers = Object.freeze({ trace: 'abc' });
    const sut = withDueAt(headers, 1_700_000_003_000.7);
    assert.deepEqual(sut, { trace: 'abc', [DUE_AT_HEADER]: '1700000003000' });
    assert.equal(dueAtOf(sut), 1_700_000_003_000);
    assert.deepEqual(headers, { trace: 'abc' });
  });

  it('reads a record without a due time as due now (null)', () => {
    assert.equal(dueAtOf({}), null);
  });

  it('reads a header that is not a count of milliseconds as no due time', () => {
    for (const bad of ['', 'soon', '-5', '1.5', '1e12', ' 12', '99999999999999999999']) {
      assert.equal(dueAtOf({ [DUE_AT_HEADER]: bad }), null, JSON.stringify(bad));
    }
  });

  it('refuses to write a due time that is not epoch milliseconds', () => {
    for (const bad of [-1, Number.NaN, Number.POSITIVE_INFINITY]) {
      assert.throws(() => withDueAt({}, bad), RangeError, String(bad));
    }
  });
});

describe('destination headers', () => {
  it('names the destination a record is meant for', () => {
    const sut = withDestination({ [ATTEMPTS_HEADER]: '1' }, 'sales-crm');
    assert.deepEqual(sut, { [ATTEMPTS_HEADER]: '1', [DESTINATION_HEADER]: 'sales-crm' });
    assert.equal(destinationOf(sut), 'sales-crm');
  });

  it('says which destination a fallback delivery stands in for', () => {
    const sut = withFallbackFrom(withDestination({}, 'warehouse'), 'sales-crm');
    assert.equal(destinationOf(sut), 'warehouse');
    assert.equal(fallbackFromOf(sut), 'sales-crm');
    assert.equal(sut[FALLBACK_FROM_HEADER], 'sales-crm');
  });

  it('reads absent or empty headers as none', () => {
    assert.equal(destinationOf({}), null);
    assert.equal(fallbackFromOf({}), null);
    assert.equal(destinationOf({ [DESTINATION_HEADER]: '' }), null);
    assert.equal(fallbackFromOf({ [FALLBACK_FROM_HEADER]: '' }), null);
  });

  it('refuses to write an empty name', () => {
    assert.throws(() => withDestination({}, ''), RangeError);
    assert.throws(() => withFallbackFrom({}, ''), RangeError);
  });
});

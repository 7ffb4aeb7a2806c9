import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ATTEMPTS_HEADER, attemptOf, headersToStrings, withAttempts } from './record.headers';

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

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadRouterError, errorMessage, isRetriable } from './lead-router.error';
import { err, ok } from './result.type';

class SampleError extends LeadRouterError {
  constructor(options: { cause?: unknown } = {}) {
    super('the sample failed', 'sample_failed', { retriable: true, ...options });
  }
}

describe('LeadRouterError', () => {
  it('carries its code and message', () => {
    const sut = new LeadRouterError('registry unreachable', 'registry_down');
    assert.equal(sut.code, 'registry_down');
    assert.equal(sut.message, 'registry unreachable');
    assert.ok(sut instanceof Error);
  });

  it('is not retriable and has an empty context unless told', () => {
    const sut = new LeadRouterError('bad bytes', 'decode_failed');
    assert.equal(sut.retriable, false);
    assert.deepEqual(sut.context, {});
    assert.equal(sut.cause, undefined);
    assert.ok(!('cause' in sut));
  });

  it('keeps the context it is given', () => {
    const context = { topic: 'leads.raw', partition: 2, offset: '41', leadId: 'L1' };
    const sut = new LeadRouterError('bad bytes', 'decode_failed', { context });
    assert.deepEqual(sut.context, context);
  });

  it('keeps the cause it wraps', () => {
    const cause = new Error('socket hang up');
    const sut = new LeadRouterError('no ack', 'ack_timeout', { retriable: true, cause });
    assert.equal(sut.cause, cause);
  });

  it('is named after the subclass that was thrown', () => {
    const sut = new SampleError();
    assert.equal(sut.name, 'SampleError');
    assert.ok(sut instanceof LeadRouterError);
    assert.match(String(sut.stack), /^SampleError: the sample failed/);
  });
});

describe('isRetriable', () => {
  it('follows the retriable flag of our errors', () => {
    assert.equal(isRetriable(new SampleError()), true);
    assert.equal(isRetriable(new LeadRouterError('x', 'invalid')), false);
  });

  it('recognises a kafkajs-like error that marks itself retriable', () => {
    const kafkaJsLike = Object.assign(new Error('NOT_LEADER_FOR_PARTITION'), { retriable: true });
    assert.equal(isRetriable(kafkaJsLike), true);
    assert.equal(isRetriable({ retriable: true }), true);
  });

  it('treats anything else as final', () => {
    assert.equal(isRetriable(new Error('x')), false);
    assert.equal(isRetriable({ retriable: 'yes' }), false);
    assert.equal(isRetriable(null), false);
    assert.equal(isRetriable('timeout'), false);
  });
});

describe('errorMessage', () => {
  it('reads the message of an error and stringifies anything else', () => {
    assert.equal(errorMessage(new SampleError()), 'the sample failed');
    assert.equal(errorMessage('plain'), 'plain');
    assert.equal(errorMessage(42), '42');
  });
});

describe('Result', () => {
  it('builds both outcomes', () => {
    assert.deepEqual(ok(1), { ok: true, value: 1 });
    assert.deepEqual(err(['bad']), { ok: false, error: ['bad'] });
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadRouterError } from '@lead-router/errors';
import { CliFailure, UsageError } from './cli.errors';

describe('CliFailure', () => {
  it('exits 1 with its code, and is final', () => {
    const sut = new CliFailure('no version of rule set x is published', 'rule_set_not_published', {
      context: { ruleSetId: 'x' },
    });
    assert.ok(sut instanceof LeadRouterError);
    assert.equal(sut.exitCode, 1);
    assert.equal(sut.code, 'rule_set_not_published');
    assert.equal(sut.retriable, false);
    assert.deepEqual(sut.context, { ruleSetId: 'x' });
    assert.equal(sut.name, 'CliFailure');
  });

  it('has a code even when none is given', () => {
    assert.equal(new CliFailure('refused').code, 'command_failed');
  });
});

describe('UsageError', () => {
  it('exits 2 with the code usage and keeps its cause', () => {
    const cause = new Error('ENOENT');
    const sut = new UsageError('cannot read x.yaml: ENOENT', { cause });
    assert.ok(sut instanceof CliFailure);
    assert.equal(sut.exitCode, 2);
    assert.equal(sut.code, 'usage');
    assert.equal(sut.cause, cause);
    assert.equal(sut.name, 'UsageError');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadRouterError } from '@lead-router/errors';
import { publishRuleSet } from './rule-set.publisher';
import type { RulesAdminDeps } from './rules-admin.deps';
import { RulesAdminError } from './rules-admin.error';
import { simulateWindow } from './window.simulator';

/** An invalid rule set is refused before anything reaches Kafka or the registry. */
const unreachable = {} as RulesAdminDeps;
const invalidYaml = 'id: broken\nrules: nope\n';

function assertInvalid(err: unknown): true {
  assert.ok(err instanceof RulesAdminError);
  assert.ok(err instanceof LeadRouterError);
  assert.equal(err.name, 'RulesAdminError');
  assert.equal(err.code, 'invalid');
  assert.equal(err.retriable, false);
  assert.ok(err.issues.length > 0);
  return true;
}

describe('RulesAdminError', () => {
  it('refuses an invalid rule set to publish with every issue and nothing written', async () => {
    await assert.rejects(publishRuleSet(unreachable, invalidYaml), (err: unknown) => {
      assertInvalid(err);
      assert.match((err as Error).message, /nothing was published$/);
      return true;
    });
  });

  it('refuses an invalid candidate to simulate', async () => {
    await assert.rejects(
      simulateWindow(unreachable, invalidYaml, { from: new Date(0) }),
      (err: unknown) => assertInvalid(err) && /candidate rule set is invalid/.test(String(err)),
    );
  });

  it('keeps its code narrow and its context', () => {
    const sut = new RulesAdminError('no version', 'no_baseline', [], { ruleSetId: 'default' });
    assert.equal(sut.code, 'no_baseline');
    assert.deepEqual(sut.issues, []);
    assert.deepEqual(sut.context, { ruleSetId: 'default' });
  });
});

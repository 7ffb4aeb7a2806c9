import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadRouterError } from '@lead-router/errors';
import { enrichedLeadFixture } from '@lead-router/testing';
import { parseDuration } from './duration';
import { route } from './lead.router';
import { compileRuleSet } from './rules.compiler';
import { parseRuleSet } from './rules.parser';
import { DEFAULT_RULES } from './routing.fixture';
import { DurationError, RuleSetError } from './routing.errors';

describe('parseDuration', () => {
  it('reads what the schema accepts', () => {
    assert.equal(parseDuration('24h'), 86_400_000);
  });

  it('refuses anything else with a final DurationError', () => {
    assert.throws(
      () => parseDuration('soon'),
      (err: unknown) => {
        assert.ok(err instanceof DurationError);
        assert.ok(err instanceof LeadRouterError);
        assert.equal(err.message, 'not a duration: soon');
        assert.equal(err.code, 'invalid_duration');
        assert.equal(err.retriable, false);
        assert.deepEqual(err.context, { text: 'soon' });
        return true;
      },
    );
  });
});

describe('route on an inconsistent rule set', () => {
  it('throws a RuleSetError naming the queue it lacks', () => {
    const parsed = parseRuleSet(DEFAULT_RULES);
    if (!parsed.ok) assert.fail(JSON.stringify(parsed.error));
    // Only a rule set built around the parser can lack a queue its rules name.
    const sut = { ...compileRuleSet(parsed.value), queues: new Map() };
    assert.throws(
      () => route(sut, enrichedLeadFixture(), new Map(), 9_000),
      (err: unknown) => {
        assert.ok(err instanceof RuleSetError);
        assert.equal(err.code, 'rule_set_inconsistent');
        assert.equal(err.retriable, false);
        assert.deepEqual(err.context, { queue: 'sales' });
        assert.equal(err.message, 'queue sales is not in the rule set');
        return true;
      },
    );
  });
});

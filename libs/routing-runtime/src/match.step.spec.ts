import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { enrichedLeadFixture } from '@lead-router/testing';
import { MatchStep } from './match.step';
import { SOURCE_HEADER } from './step.context';
import { RulesRegistry } from './rules.registry';
import {
  NOON,
  SERVED,
  TOPICS,
  compiledRules,
  published,
  silentLogger,
} from './routing-runtime.fixture';

function setup() {
  const rules = new RulesRegistry(compiledRules('1'), {
    logger: silentLogger(),
    servedDestinationTypes: SERVED,
  });
  const sut = new MatchStep({ rules, assignTopic: TOPICS.assign, now: () => NOON });
  return { sut, rules };
}

describe('MatchStep', () => {
  it('records the leads.enriched position each router.assign record comes from', () => {
    const { sut } = setup();
    const result = sut.handle(enrichedLeadFixture(), { partition: 2, offset: '41' });
    assert.equal(result.kind, 'ok');
    assert.deepEqual(result.kind === 'ok' && result.outputs[0]?.headers, {
      [SOURCE_HEADER]: '2@41',
    });
  });

  it('sends a queue lead to router.assign keyed by its queue group, under the active version', () => {
    const { sut } = setup();
    const enriched = enrichedLeadFixture({ lead: { lead_id: 'lead-1' } });
    assert.deepEqual(sut.handle(enriched), {
      kind: 'ok',
      outputs: [
        {
          topic: 'router.assign',
          key: 'sales',
          value: {
            enriched,
            rule_set_id: 't',
            rule_set_version: '1',
            queue_group: 'sales',
            matched_at: NOON,
            held_until: 0,
          },
        },
      ],
    });
  });

  it('keys a lead for a fixed owner by its lead id, with no queue group', () => {
    const { sut } = setup();
    const result = sut.handle(
      enrichedLeadFixture({ lead: { lead_id: 'lead-vip', attributes: { tier: 'vip' } } }),
    );
    assert.equal(result.kind, 'ok');
    const [output] = result.kind === 'ok' ? result.outputs : [];
    assert.equal(output?.key, 'lead-vip');
    assert.equal((output?.value as { queue_group: string }).queue_group, '');
  });

  it('matches the next lead under a version as soon as it is published', () => {
    const { sut, rules } = setup();
    rules.accept(published('2'));
    const result = sut.handle(enrichedLeadFixture({ lead: { lead_id: 'lead-2' } }));
    const [output] = result.kind === 'ok' ? result.outputs : [];
    assert.equal((output?.value as { rule_set_version: string }).rule_set_version, '2');
  });
});

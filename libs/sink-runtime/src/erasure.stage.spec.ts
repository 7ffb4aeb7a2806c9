import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordContext } from '@lead-router/kafka';
import { createLogger } from '@lead-router/observability';
import type { DeliveryOutcome, ErasureRequest } from '@lead-router/schemas';
import { Registry } from 'prom-client';
import { sinkErasureStage } from './erasure.stage';

const topics = { erasures: 'privacy.erasures', delivered: 'leads.delivered', dlq: 'leads.dlq' };
const request: ErasureRequest = {
  subject_key: 'lead:L1',
  lead_id: 'L1',
  email_sha256: null,
  requested_at: 1_000,
  requested_by: 'dpo',
  reason: null,
};
const ruleSet = () => ({
  version: 'v7',
  destinations: new Map([
    ['sf-emea', { type: 'salesforce' }],
    ['warehouse', { type: 'postgres' }],
    ['sf-us', { type: 'salesforce' }],
  ]),
});
const ctx = { topic: topics.erasures, partition: 0, offset: '0' } as RecordContext;

describe('sinkErasureStage', () => {
  it('records ERASURE_REQUESTED per destination of the sink type, under the subject key', async () => {
    const registry = new Registry();
    const sut = sinkErasureStage({
      sink: 'sink-salesforce',
      adapter: { type: 'salesforce' },
      groupId: 'sink-salesforce',
      topics,
      ruleSet,
      logger: createLogger('test', 'silent'),
      registry,
      now: () => 2_000,
    });
    assert.equal(sut.groupId, 'sink-salesforce.erasures');
    const result = await sut.handle(request, ctx);
    assert.equal(result.kind, 'ok');
    const outcomes = result.outputs.map(
      (o) => [o.topic, o.key, o.value as DeliveryOutcome] as const,
    );
    assert.deepEqual(
      outcomes.map(([topic, key, o]) => [topic, key, o.lead_id, o.destination_id, o.status]),
      [
        [topics.delivered, 'lead:L1', 'lead:L1', 'sf-emea', 'ERASURE_REQUESTED'],
        [topics.delivered, 'lead:L1', 'lead:L1', 'sf-us', 'ERASURE_REQUESTED'],
      ],
    );
    assert.match(outcomes[0]![2].error!, /lead L1.*deletes nothing in sf-emea.*external id/);
    assert.equal(outcomes[0]![2].delivery_id, 'erasure:lead:L1:sf-emea');
    assert.match(await registry.metrics(), /action="recorded"\} 1/);
  });

  it('lets an adapter that can delete do so, and counts the rows', async () => {
    const registry = new Registry();
    const subjects: unknown[] = [];
    const sut = sinkErasureStage({
      sink: 'sink-postgres',
      adapter: {
        type: 'postgres',
        erase: async (subject) => {
          subjects.push(subject);
          return 3;
        },
      },
      groupId: 'sink-postgres',
      topics,
      ruleSet,
      logger: createLogger('test', 'silent'),
      registry,
    });
    const result = await sut.handle(
      { ...request, subject_key: 'email:ab', lead_id: null, email_sha256: 'ab' },
      ctx,
    );
    assert.deepEqual(result, { kind: 'ok', outputs: [] });
    assert.deepEqual(subjects, [{ leadId: null, emailSha256: 'ab' }]);
    assert.match(
      await registry.metrics(),
      /lead_router_erased_records_total\{service="sink-postgres"\} 3/,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DESTINATION_HEADER,
  DUE_AT_HEADER,
  type RecordContext,
  type StageOutput,
} from '@lead-router/kafka';
import { createLogger } from '@lead-router/observability';
import { routedLeadFixture } from '@lead-router/testing';
import { Registry } from 'prom-client';
import { DestinationBreakers } from './destination.breakers';
import { LimiterDestinationGate } from './destination.gate';
import { createSinkMetrics } from './sink.metrics';
import type { DeliveryOutcome } from '@lead-router/schemas';
import { sinkStages, type SinkStagesOptions } from './sink.stages';

function context(partition: number): RecordContext {
  return {
    topic: 'leads.routed',
    partition,
    offset: '0',
    key: null,
    value: null,
    headers: {},
    attempts: 1,
  };
}

describe('sinkStages', () => {
  const options = {
    sink: 'sink-webhook',
    groupId: 'lr.sink-webhook',
    dlqTopic: 'leads.dlq',
    adapter: { type: 'webhook', maxBatchSize: () => 1, send: async () => [] },
    resolveConfig: () => ({ type: 'webhook' }),
    gate: new LimiterDestinationGate({ kind: 'memory' }),
    metrics: createSinkMetrics(new Registry()),
    logger: createLogger('spec', 'silent'),
    topics: {
      routed: 'leads.routed',
      delivered: 'leads.delivered',
      attempts: 'leads.attempts',
      dlq: 'leads.dlq',
      tiers: [
        { topic: 'sink-webhook.retry.10s', delayMs: 10_000 },
        { topic: 'sink-webhook.retry.1m', delayMs: 60_000 },
      ],
    },
    maxInFlight: 8,
    budgetWaitMs: 1_000,
    requestTimeoutMs: 5_000,
  } satisfies SinkStagesOptions<{ type: string }>;
  const sut = sinkStages(options);

  it('consumes leads.routed and each retry tier, every partition at once, lingering in the fetch', () => {
    assert.deepEqual(
      sut.map((s) => [s.topic, s.groupId, s.partitionsConcurrently, s.fetch]),
      [
        ['leads.routed', 'lr.sink-webhook', 6, { minBytes: 1, maxWaitMs: 100 }],
        [
          'sink-webhook.retry.10s',
          'lr.sink-webhook.sink-webhook.retry.10s',
          6,
          { minBytes: 1, maxWaitMs: 500 },
        ],
        [
          'sink-webhook.retry.1m',
          'lr.sink-webhook.sink-webhook.retry.1m',
          6,
          { minBytes: 1, maxWaitMs: 500 },
        ],
      ],
    );
  });

  it("the retry tiers fetch as the sink's tierFetch says, leads.routed as its batching does", () => {
    const stages = sinkStages({
      ...options,
      batching: { fetch: { minBytes: 65_536, maxWaitMs: 250 } },
      tierFetch: { minBytes: 1, maxWaitMs: 2_000 },
    });
    assert.deepEqual(
      stages.map((s) => [s.topic, s.fetch]),
      [
        ['leads.routed', { minBytes: 65_536, maxWaitMs: 250 }],
        ['sink-webhook.retry.10s', { minBytes: 1, maxWaitMs: 2_000 }],
        ['sink-webhook.retry.1m', { minBytes: 1, maxWaitMs: 2_000 }],
      ],
    );
  });

  it('the chunks of two partitions handled together go to the destination in one request', async () => {
    const sent: string[][] = [];
    const [stage] = sinkStages({
      ...options,
      batching: { coalesceMs: 60_000 },
      adapter: {
        type: 'webhook',
        maxBatchSize: () => 100,
        send: async (batch) => {
          sent.push(batch.map((t) => t.lead.lead.lead_id));
          return batch.map((t) => ({
            leadId: t.lead.lead.lead_id,
            verdict: {
              kind: 'delivered' as const,
              crmId: `crm-${t.lead.lead.lead_id}`,
              created: true,
            },
          }));
        },
      },
    });
    const lead = (id: string) => {
      const f = routedLeadFixture();
      return { ...f, lead: { ...f.lead, lead_id: id } };
    };
    const chunk = (partition: number) => ({ topic: 'leads.routed', partition });
    await stage!.beforeChunk!(chunk(0));
    await stage!.beforeChunk!(chunk(3));
    await stage!.handle(lead('a'), context(0));
    await stage!.handle(lead('b'), context(3));
    await stage!.handle(lead('c'), context(0));

    const [first, second] = await Promise.all([
      stage!.afterChunk!(chunk(0)),
      stage!.afterChunk!(chunk(3)),
    ]);

    assert.deepEqual(sent, [['a', 'c', 'b']]);
    const delivered = (outputs: StageOutput[] | void) =>
      (outputs ?? [])
        .filter((o) => o.topic === 'leads.delivered')
        .map((o) => [o.key, (o.value as DeliveryOutcome).external_id]);
    assert.deepEqual(delivered(first), [
      ['a', 'crm-a'],
      ['c', 'crm-c'],
    ]);
    assert.deepEqual(delivered(second), [['b', 'crm-b']]);
  });

  it('a tier record is due when its lr-due-at says; leads.routed is never held', () => {
    const ctx = (headers: Record<string, string>): RecordContext => ({
      topic: 't',
      partition: 0,
      offset: '0',
      key: null,
      value: null,
      headers,
      attempts: 1,
    });
    assert.equal(sut[0]!.dueAt, undefined);
    assert.equal(
      sut[1]!.dueAt!(routedLeadFixture(), ctx({ [DUE_AT_HEADER]: '1800000000000' })),
      1_800_000_000_000,
    );
    assert.equal(sut[1]!.dueAt!(routedLeadFixture(), ctx({})), null);
  });

  it('a tier record waits, paused, until its destination’s open circuit lets a probe through', async () => {
    let now = 1_000_000;
    const breakers = new DestinationBreakers(() => now);
    const stages = sinkStages({ ...options, breakers, now: () => now });
    const settings = { failures: 1, halfOpenAfterMs: 30_000 };
    await breakers.run(
      'crm',
      settings,
      async () => Promise.reject(new Error('503')),
      () => false,
    );
    const ctx = (headers: Record<string, string>): RecordContext => ({
      ...context(0),
      headers: { [DESTINATION_HEADER]: 'crm', ...headers },
    });

    now += 5_000;
    assert.equal(
      stages[1]!.dueAt!(routedLeadFixture(), ctx({ [DUE_AT_HEADER]: String(now - 1) })),
      1_030_000,
      'due already, but held until the probe',
    );
    assert.equal(
      stages[1]!.dueAt!(routedLeadFixture(), ctx({ [DUE_AT_HEADER]: '1040000' })),
      1_040_000,
      'due after the probe: its own time',
    );
    assert.equal(
      stages[1]!.dueAt!(routedLeadFixture(), ctx({ [DESTINATION_HEADER]: 'other' })),
      null,
      'another destination is not held',
    );
    now += 25_000;
    assert.equal(stages[1]!.dueAt!(routedLeadFixture(), ctx({})), null, 'the probe may go now');
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DUE_AT_HEADER, type RecordContext } from '@lead-router/kafka';
import { createLogger } from '@lead-router/observability';
import { routedLeadFixture } from '@lead-router/testing';
import { Registry } from 'prom-client';
import { LimiterDestinationGate } from './destination.gate';
import { createSinkMetrics } from './sink.metrics';
import { sinkStages } from './sink.stages';

describe('sinkStages', () => {
  const sut = sinkStages({
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
      dlq: 'leads.dlq',
      tiers: [
        { topic: 'sink-webhook.retry.10s', delayMs: 10_000 },
        { topic: 'sink-webhook.retry.1m', delayMs: 60_000 },
      ],
    },
    maxInFlight: 8,
    budgetWaitMs: 1_000,
    requestTimeoutMs: 5_000,
  });

  it('consumes leads.routed and each retry tier, one chunk at a time', () => {
    assert.deepEqual(
      sut.map((s) => [s.topic, s.groupId, s.partitionsConcurrently]),
      [
        ['leads.routed', 'lr.sink-webhook', 1],
        ['sink-webhook.retry.10s', 'lr.sink-webhook.sink-webhook.retry.10s', 1],
        ['sink-webhook.retry.1m', 'lr.sink-webhook.sink-webhook.retry.1m', 1],
      ],
    );
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
});

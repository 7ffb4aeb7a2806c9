import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTrace } from './lead-trace.formatter';
import type { TraceEvent } from './lead-trace.summary';

const routed: TraceEvent = {
  leadId: 'lead-1',
  stage: 'routed',
  at: Date.UTC(2026, 10, 25, 16, 56, 23),
  summary: {
    decision: {
      rule_set_id: 'demo',
      rule_set_version: '2026-11-25.1',
      matched_rule: 'emea-business',
      fallback: false,
      reason: 'segment emea',
      queue: 'emea-sales',
      owner_id: '005-alice',
      distribution: {
        method: 'round_robin',
        position: 0,
        members: ['alice', 'bruno'],
        chosen_member: 'alice',
        skipped: [],
        weights: {},
        loads: {},
        overflowed_from: [],
      },
      evaluated: [
        {
          rule: 'free-mail-to-self-serve',
          matched: false,
          conditions: [
            {
              path: 'enrichment.free_mail',
              op: 'eq',
              expected: 'true',
              actual: 'false',
              result: false,
            },
          ],
        },
        { rule: 'emea-business', matched: true, conditions: [] },
      ],
      decided_at: Date.UTC(2026, 10, 25, 16, 56, 23),
    },
    destinations: [],
    received_at: Date.UTC(2026, 10, 25, 16, 56, 22),
  },
};

describe('formatTrace', () => {
  const sut = formatTrace;

  it('says a lead is not in the index when it has no events', () => {
    assert.equal(sut('lead-9', []), 'lead lead-9: not in the trace index');
  });

  it('prints the routing decision and every rule passed over with the values compared', () => {
    assert.equal(
      sut('lead-1', [routed]),
      [
        'lead lead-1',
        '  routed at 2026-11-25T16:56:23.000Z by rule set demo v2026-11-25.1: rule emea-business matched because segment emea; queue emea-sales; round_robin position 0 of [alice, bruno] chose alice; owner 005-alice',
        '      rule free-mail-to-self-serve did not match: enrichment.free_mail eq true (was false)',
      ].join('\n'),
    );
  });

  it('prints a failed delivery with its attempts and reason', () => {
    const failed: TraceEvent = {
      leadId: 'lead-1',
      stage: 'delivered',
      at: Date.UTC(2026, 10, 25, 17, 0, 0),
      summary: {
        destination_id: 'crm',
        destination_type: 'webhook',
        status: 'FAILED',
        attempts: 6,
        http_status: 503,
        external_id: null,
        error: 'service unavailable',
        owner_id: null,
        rule_set_version: '1',
        speed_to_lead_ms: 0,
      },
    };
    assert.equal(
      sut('lead-1', [failed]).split('\n')[1],
      '  delivery to crm failed at 2026-11-25T17:00:00.000Z after 6 attempts (HTTP 503): service unavailable',
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { formatTrace } from './lead-trace.formatter';
import type {
  AttemptedSummary,
  DeliveredSummary,
  EnrichedSummary,
  TraceEvent,
} from './lead-trace.summary';

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

const T0 = Date.UTC(2026, 11, 1, 9, 0, 0);

const attempt = (at: number, s: Partial<AttemptedSummary>): TraceEvent => ({
  leadId: 'lead-1',
  stage: 'attempted',
  at,
  summary: {
    destination_id: 'hub',
    destination_type: 'hubspot',
    attempt: 1,
    answer: 'DELIVERED',
    sent: true,
    http_status: 200,
    message: null,
    external_id: null,
    next: 'DONE',
    next_due_at: null,
    retry_topic: null,
    batch_size: 1,
    duration_ms: 40,
    ...s,
  } satisfies AttemptedSummary,
});

const outcome = (at: number, s: Partial<DeliveredSummary>): TraceEvent => ({
  leadId: 'lead-1',
  stage: 'delivered',
  at,
  summary: {
    destination_id: 'hub',
    destination_type: 'hubspot',
    status: 'DELIVERED',
    attempts: 1,
    http_status: null,
    external_id: null,
    error: null,
    owner_id: '101',
    rule_set_version: '1',
    speed_to_lead_ms: 1_234,
    ...s,
  } satisfies DeliveredSummary,
});

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

  it('tells each destination’s attempts in order, their answers and waits, then its outcome', () => {
    const events = [
      routed,
      attempt(T0, {
        answer: 'RETRY',
        http_status: 503,
        message: 'HubSpot HTTP 503: injected server failure',
        next: 'RETRY',
        next_due_at: T0 + 10_000,
        retry_topic: 'sink-hubspot.retry.10s',
        batch_size: 100,
        duration_ms: 12,
      }),
      attempt(T0 + 5, {
        destination_id: 'inbox',
        destination_type: 'webhook',
        external_id: 'msg_1',
      }),
      outcome(T0 + 5, { destination_id: 'inbox', http_status: 200, speed_to_lead_ms: 80 }),
      attempt(T0 + 10_000, {
        attempt: 2,
        answer: 'WAIT_FOR_QUOTA',
        http_status: 429,
        message: 'HubSpot daily limit: the daily limit is reached',
        next: 'RETRY',
        next_due_at: T0 + 3_600_000,
        retry_topic: 'sink-hubspot.retry.1h',
      }),
      attempt(T0 + 3_600_000, {
        attempt: 2,
        answer: 'PARKED',
        sent: false,
        http_status: null,
        message: 'destination parked',
        next: 'RETRY',
        next_due_at: T0 + 7_200_000,
        retry_topic: 'sink-hubspot.retry.1h',
        duration_ms: null,
      }),
      attempt(T0 + 7_200_000, { attempt: 2, external_id: '9001' }),
      outcome(T0 + 7_200_000, { attempts: 2, external_id: '9001' }),
    ];
    assert.deepEqual(sut('lead-1', events).split('\n').slice(3), [
      '  delivery to hub (hubspot):',
      '    attempt 1 at 2026-12-01T09:00:00.000Z: RETRY (HTTP 503): HubSpot HTTP 503: injected server failure (batch of 100, 12 ms); waiting until 2026-12-01T09:00:10.000Z on sink-hubspot.retry.10s',
      '    attempt 2 at 2026-12-01T09:00:10.000Z: WAIT_FOR_QUOTA (HTTP 429): HubSpot daily limit: the daily limit is reached (alone, 40 ms); waiting for quota until 2026-12-01T10:00:00.000Z on sink-hubspot.retry.1h',
      '    attempt 2 at 2026-12-01T10:00:00.000Z: held, not sent: PARKED: destination parked; waiting for quota until 2026-12-01T11:00:00.000Z on sink-hubspot.retry.1h',
      '    attempt 2 at 2026-12-01T11:00:00.000Z: DELIVERED (HTTP 200) (id there 9001; alone, 40 ms)',
      '    delivered to hub at 2026-12-01T11:00:00.000Z after 2 attempts, 1234 ms after capture; id there 9001',
      '  delivery to inbox (webhook):',
      '    attempt 1 at 2026-12-01T09:00:00.005Z: DELIVERED (HTTP 200) (id there msg_1; alone, 40 ms)',
      '    delivered to inbox at 2026-12-01T09:00:00.005Z after 1 attempt (HTTP 200), 80 ms after capture',
    ]);
  });

  it('says when a destination has no outcome yet, and when a lead fell back', () => {
    const waiting = sut('lead-1', [
      attempt(T0, {
        answer: 'BUDGET',
        sent: false,
        http_status: null,
        message: 'request budget spent',
        next: 'RETRY',
        next_due_at: T0 + 30_000,
        retry_topic: null,
      }),
    ]);
    assert.deepEqual(waiting.split('\n').slice(1), [
      '  delivery to hub (hubspot):',
      '    attempt 1 at 2026-12-01T09:00:00.000Z: held, not sent: BUDGET: request budget spent; waiting until 2026-12-01T09:00:30.000Z',
      '    no outcome yet',
    ]);
    const fellBack = sut('lead-1', [
      attempt(T0, {
        answer: 'CIRCUIT_OPEN',
        sent: false,
        http_status: null,
        message: 'circuit open for 300s',
        next: 'FALLBACK',
      }),
      outcome(T0, { status: 'FELL_BACK', error: 'fell back to inbox circuit open for 300s' }),
    ]);
    assert.deepEqual(fellBack.split('\n').slice(2), [
      '    attempt 1 at 2026-12-01T09:00:00.000Z: held, not sent: CIRCUIT_OPEN: circuit open for 300s; goes to the fallback',
      '    delivery to hub gave up at 2026-12-01T09:00:00.000Z after 1 attempt: fell back to inbox circuit open for 300s',
    ]);
  });
});

describe('formatTrace: the account the enricher matched', () => {
  const enriched = (s: Partial<EnrichedSummary>): TraceEvent => ({
    leadId: 'lead-1',
    stage: 'enriched',
    at: T0,
    summary: {
      company_domain: 'acme.co.uk',
      email_domain: 'acme.co.uk',
      free_mail: false,
      country: 'GB',
      ...s,
    } satisfies EnrichedSummary,
  });
  const linesOf = (e: TraceEvent) => formatTrace('lead-1', [e]).trimEnd().split('\n').slice(1);

  it('names the account, how it matched, its score and its owner under the enriched line', () => {
    const account = {
      account_id: 'ACC-1',
      name: 'Acme Ltd.',
      method: 'name_fuzzy',
      score: 0.9166,
      owner: 'alice',
    };
    assert.deepEqual(linesOf(enriched({ account_status: 'ok', account })), [
      '  enriched: company acme.co.uk, business email',
      '    account ACC-1 (Acme Ltd.) matched by name_fuzzy, score 0.92; owner alice',
    ]);
  });

  it('names the lead a duplicate repeats, by which contact, and that lead owner', () => {
    assert.deepEqual(
      linesOf(enriched({ duplicate: { of: 'lead-0', by: 'email', owner: 'alice' } })),
      [
        '  enriched: company acme.co.uk, business email',
        '    duplicate of lead lead-0 (same email); its owner alice',
      ],
    );
    assert.equal(
      linesOf(enriched({ duplicate: { of: 'lead-0', by: 'phone', owner: null } }))[1],
      '    duplicate of lead lead-0 (same phone); its owner not known yet',
    );
  });

  it('says when no account matched, and nothing for leads indexed before account matching', () => {
    assert.deepEqual(linesOf(enriched({ account_status: 'no_match', account: null })), [
      '  enriched: company acme.co.uk, business email',
      '    account: no account matched',
    ]);
    assert.deepEqual(linesOf(enriched({})), ['  enriched: company acme.co.uk, business email']);
  });
});

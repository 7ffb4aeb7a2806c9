import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crmLead } from './crm.fixture';
import { DEFAULT_HUBSPOT_MAPPING } from './field-mapping.schema';
import { classifyHubSpotResponse } from './hubspot-response.classifier';
import { hubspotUpsertBatches } from './hubspot-upsert.builder';

const batch = hubspotUpsertBatches(
  [crmLead(1, 'hs'), crmLead(2, 'hs'), crmLead(3, 'hs')],
  { id: 'hs' },
  DEFAULT_HUBSPOT_MAPPING,
).batches[0]!;
const ids = batch.leads.map((l) => l.lead.lead_id) as [string, string, string];
const now = Date.parse('2026-11-25T15:00:00Z');
const clock = { now, accountTimeZone: 'America/New_York' };

const result = (n: number, traceId: string | undefined, isNew: boolean) => ({
  id: `90${n}`,
  properties: { email: `lead${n}@example.com` },
  new: isNew,
  archived: false,
  ...(traceId === undefined ? {} : { objectWriteTraceId: traceId }),
});

describe('classifyHubSpotResponse', () => {
  const sut = classifyHubSpotResponse;

  it('delivers every input of a 200, with the contact ids matched by trace id, not by order', () => {
    const body = {
      status: 'COMPLETE',
      results: [result(3, ids[2], false), result(1, ids[0], true), result(2, ids[1], true)],
    };
    assert.deepEqual(sut(200, {}, body, batch, clock), [
      { leadId: ids[0], verdict: { kind: 'delivered', crmId: '901', created: true } },
      { leadId: ids[1], verdict: { kind: 'delivered', crmId: '902', created: true } },
      { leadId: ids[2], verdict: { kind: 'delivered', crmId: '903', created: false } },
    ]);
  });

  it('falls back to the id property’s value when a result has no trace id', () => {
    const body = { results: [result(2, undefined, false)] };
    const verdicts = sut(200, {}, body, batch, clock);
    assert.deepEqual(verdicts[1]?.verdict, { kind: 'delivered', crmId: '902', created: false });
    assert.deepEqual(verdicts[0]?.verdict, { kind: 'delivered', crmId: null, created: null });
  });

  it('reads a 207 per input: results delivered, errors by their context', () => {
    const body = {
      status: 'COMPLETE',
      numErrors: 2,
      results: [result(1, ids[0], true)],
      errors: [
        {
          status: 'error',
          category: 'VALIDATION_ERROR',
          message: 'Property values were not valid',
          context: { objectWriteTraceId: [ids[1]] },
          errors: [{ message: 'INVALID_EMAIL', code: 'INVALID_EMAIL' }],
        },
        {
          status: '500',
          category: 'INTERNAL_ERROR',
          message: 'try again',
          context: { objectWriteTraceId: [ids[2]] },
        },
      ],
    };
    assert.deepEqual(sut(207, {}, body, batch, clock), [
      { leadId: ids[0], verdict: { kind: 'delivered', crmId: '901', created: true } },
      {
        leadId: ids[1],
        verdict: {
          kind: 'permanent',
          code: 'INVALID_EMAIL',
          message: 'Property values were not valid; INVALID_EMAIL',
        },
      },
      { leadId: ids[2], verdict: { kind: 'retry', reason: 'try again' } },
    ]);
  });

  it('finds a 207 error by the id property’s value when it carries no trace id', () => {
    const body = {
      results: [result(1, ids[0], true), result(3, ids[2], true)],
      errors: [
        { category: 'CONFLICT', message: 'conflict', context: { ids: ['LEAD2@example.com'] } },
      ],
    };
    const verdict = sut(207, {}, body, batch, clock)[1]?.verdict;
    assert.deepEqual(verdict, { kind: 'permanent', code: 'CONFLICT', message: 'conflict' });
  });

  it('retries an input a 207 says nothing about, rather than calling it delivered', () => {
    const body = { results: [result(1, ids[0], true)], errors: [] };
    const kinds = sut(207, {}, body, batch, clock).map((v) => v.verdict.kind);
    assert.deepEqual(kinds, ['delivered', 'retry', 'retry']);
  });

  it('retries TEN_SECONDLY_ROLLING after Retry-After, else the interval header, else 10 s', () => {
    const body = { status: 'error', errorType: 'RATE_LIMIT', policyName: 'TEN_SECONDLY_ROLLING' };
    const wait = (headers: Record<string, string>) => {
      const v = sut(429, headers, body, batch, clock)[0]?.verdict;
      return v?.kind === 'retry' ? v.retryAfterMs : undefined;
    };
    assert.equal(wait({ 'Retry-After': '3' }), 3000);
    assert.equal(wait({ 'X-HubSpot-RateLimit-Interval-Milliseconds': '8000' }), 8000);
    assert.equal(wait({}), 10_000);
    assert.ok(sut(429, {}, body, batch, clock).every((v) => v.verdict.kind === 'retry'));
  });

  it('waits for quota until midnight in the account’s time zone on DAILY', () => {
    const body = {
      status: 'error',
      message: 'You have reached your daily limit.',
      errorType: 'RATE_LIMIT',
      policyName: 'DAILY',
    };
    const verdicts = sut(429, {}, body, batch, clock);
    assert.deepEqual(verdicts[0]?.verdict, {
      kind: 'wait_for_quota',
      reason: 'HubSpot daily limit: You have reached your daily limit.',
      until: Date.parse('2026-11-26T00:00:00-05:00'),
      httpStatus: 429,
    });
    assert.ok(verdicts.every((v) => v.verdict.kind === 'wait_for_quota'));
    const berlin = sut(429, {}, body, batch, { now, accountTimeZone: 'Europe/Berlin' })[0];
    assert.ok(
      berlin?.verdict.kind === 'wait_for_quota' &&
        berlin.verdict.until === Date.parse('2026-11-26T00:00:00+01:00'),
    );
  });

  it('stops the destination with an alert on 401, for every lead', () => {
    const verdicts = sut(
      401,
      {},
      { message: 'Authentication credentials not found.' },
      batch,
      clock,
    );
    assert.ok(verdicts.every((v) => v.verdict.kind === 'stop'));
    assert.ok(
      verdicts[0]?.verdict.kind === 'stop' &&
        /Authentication credentials not found/.test(verdicts[0].verdict.alert),
    );
  });

  it('retries 5xx and dead-letters other refusals with HubSpot’s message', () => {
    assert.deepEqual(sut(502, {}, null, batch, clock)[0]?.verdict, {
      kind: 'retry',
      reason: 'HubSpot HTTP 502: HTTP 502',
      httpStatus: 502,
    });
    const body = { status: 'error', category: 'VALIDATION_ERROR', message: 'Invalid input JSON' };
    assert.deepEqual(sut(400, {}, body, batch, clock)[2]?.verdict, {
      kind: 'permanent',
      code: 'VALIDATION_ERROR',
      message: 'Invalid input JSON',
    });
    assert.equal(
      sut(403, {}, { message: 'missing scopes' }, batch, clock)[0]?.verdict.kind,
      'permanent',
    );
  });
});

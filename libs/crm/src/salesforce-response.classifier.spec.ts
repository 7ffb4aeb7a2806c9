import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crmLead } from './crm.fixture';
import { DEFAULT_SALESFORCE_MAPPING } from './field-mapping.schema';
import { classifySalesforceResponse } from './salesforce-response.classifier';
import { salesforceUpsertBatches } from './salesforce-upsert.builder';

const batch = salesforceUpsertBatches(
  [crmLead(1, 'sf'), crmLead(2, 'sf'), crmLead(3, 'sf')],
  { id: 'sf' },
  DEFAULT_SALESFORCE_MAPPING,
).batches[0]!;
const ids = batch.leads.map((l) => l.lead.lead_id);

const failed = (statusCode: string, message = 'no') => ({
  id: null,
  success: false,
  errors: [{ statusCode, message, fields: [] }],
});

describe('classifySalesforceResponse', () => {
  const sut = classifySalesforceResponse;

  it('reads a 200 record by record, in order: created, updated, refused', () => {
    const body = [
      { id: '00Q1', success: true, created: true, errors: [] },
      { id: '00Q2', success: true, created: false, errors: [] },
      failed('REQUIRED_FIELD_MISSING', 'Required fields are missing: [LastName]'),
    ];
    assert.deepEqual(sut(200, {}, body, batch), [
      { leadId: ids[0], verdict: { kind: 'delivered', crmId: '00Q1', created: true } },
      { leadId: ids[1], verdict: { kind: 'delivered', crmId: '00Q2', created: false } },
      {
        leadId: ids[2],
        verdict: {
          kind: 'permanent',
          code: 'REQUIRED_FIELD_MISSING',
          message: 'REQUIRED_FIELD_MISSING: Required fields are missing: [LastName]',
        },
      },
    ]);
  });

  const permanentCodes = [
    'REQUIRED_FIELD_MISSING',
    'INVALID_FIELD',
    'DUPLICATE_VALUE',
    'FIELD_CUSTOM_VALIDATION_EXCEPTION',
    'INVALID_OR_NULL_FOR_RESTRICTED_PICKLIST',
    'STRING_TOO_LONG',
    'MALFORMED_ID',
    'DUPLICATES_DETECTED',
  ];
  for (const code of permanentCodes) {
    it(`dead-letters a record refused with ${code}`, () => {
      const body = [failed(code), { id: '00Q2', success: true, created: true }, failed(code)];
      const verdicts = sut(200, {}, body, batch).map((v) => v.verdict);
      assert.deepEqual(
        verdicts.map((v) => (v.kind === 'permanent' ? v.code : v.kind)),
        [code, 'delivered', code],
      );
    });
  }

  it('retries a locked row and a busy org, resends a rolled-back record', () => {
    const body = [
      failed('UNABLE_TO_LOCK_ROW', 'unable to obtain exclusive access to this record'),
      failed('REQUEST_LIMIT_EXCEEDED', 'ConcurrentPerOrgLongTxn Limit exceeded'),
      failed('ALL_OR_NONE_OPERATION_ROLLED_BACK', 'Record rolled back'),
    ];
    assert.deepEqual(
      sut(200, {}, body, batch).map((v) => v.verdict.kind),
      ['retry', 'retry', 'resend'],
    );
  });

  it('dead-letters a record with a lasting error even beside a passing one', () => {
    const body = [
      {
        success: false,
        errors: [
          { statusCode: 'UNABLE_TO_LOCK_ROW', message: 'locked' },
          { statusCode: 'STRING_TOO_LONG', message: 'Company: data value too large' },
        ],
      },
      { id: '00Q2', success: true, created: true },
      { id: '00Q3', success: true, created: true },
    ];
    const [first] = sut(200, {}, body, batch);
    assert.equal(first?.verdict.kind, 'permanent');
    assert.ok(first?.verdict.kind === 'permanent' && first.verdict.code === 'STRING_TOO_LONG');
  });

  it('retries every lead when a 200 cannot be matched to the records', () => {
    const verdicts = sut(200, {}, [{ id: '00Q1', success: true }], batch);
    assert.equal(verdicts.length, 3);
    assert.ok(verdicts.every((v) => v.verdict.kind === 'retry'));
  });

  it('refreshes the token on 401 INVALID_SESSION_ID', () => {
    const body = [{ message: 'Session expired or invalid', errorCode: 'INVALID_SESSION_ID' }];
    const verdicts = sut(401, {}, body, batch);
    assert.deepEqual(verdicts[0]?.verdict, {
      kind: 'refresh_token',
      reason: 'INVALID_SESSION_ID: Session expired or invalid',
      httpStatus: 401,
    });
    assert.ok(verdicts.every((v) => v.verdict.kind === 'refresh_token'));
  });

  it('waits for quota on 403 REQUEST_LIMIT_EXCEEDED when the daily allocation is spent', () => {
    const body = [
      { message: 'TotalRequests Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ];
    const headers = { 'sforce-limit-info': 'api-usage=100000/100000' };
    const verdicts = sut(403, headers, body, batch);
    assert.deepEqual(verdicts[0]?.verdict, {
      kind: 'wait_for_quota',
      reason: 'REQUEST_LIMIT_EXCEEDED: TotalRequests Limit exceeded. (api-usage 100000/100000)',
      httpStatus: 403,
    });
    assert.ok(verdicts.every((v) => v.verdict.kind === 'wait_for_quota'));
    const withoutHeader = sut(403, {}, body, batch)[0]?.verdict.kind;
    assert.equal(withoutHeader, 'wait_for_quota');
  });

  it('waits for quota on 403 REQUEST_LIMIT_EXCEEDED from the concurrency limit, quota left or not', () => {
    const concurrent = [
      { message: 'ConcurrentPerOrgLongTxn Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' },
    ];
    assert.equal(sut(403, {}, concurrent, batch)[0]?.verdict.kind, 'wait_for_quota');
    const quotaLeft = new Headers({ 'Sforce-Limit-Info': 'api-usage=1200/100000' });
    assert.equal(sut(403, quotaLeft, concurrent, batch)[0]?.verdict.kind, 'wait_for_quota');
  });

  it('retries 403 REQUEST_LIMIT_EXCEEDED of another limit with quota left', () => {
    const other = [{ message: 'Limit exceeded.', errorCode: 'REQUEST_LIMIT_EXCEEDED' }];
    const headers = new Headers({ 'Sforce-Limit-Info': 'api-usage=1200/100000' });
    assert.equal(sut(403, headers, other, batch)[0]?.verdict.kind, 'retry');
  });

  it('retries every lead on 5xx', () => {
    const verdicts = sut(503, {}, '<html>Service Unavailable</html>', batch);
    assert.deepEqual(verdicts[2]?.verdict, {
      kind: 'retry',
      reason: 'http_503: HTTP 503',
      httpStatus: 503,
    });
  });

  it('dead-letters every lead on 400 and on other refusals, with Salesforce’s code', () => {
    const body = [{ message: 'Unexpected character', errorCode: 'JSON_PARSER_ERROR' }];
    assert.deepEqual(sut(400, {}, body, batch)[1]?.verdict, {
      kind: 'permanent',
      code: 'JSON_PARSER_ERROR',
      message: 'Unexpected character',
    });
    const forbidden = [{ message: 'no access', errorCode: 'INSUFFICIENT_ACCESS' }];
    assert.equal(sut(403, {}, forbidden, batch)[0]?.verdict.kind, 'permanent');
    assert.equal(sut(404, {}, null, batch)[0]?.verdict.kind, 'permanent');
  });
});

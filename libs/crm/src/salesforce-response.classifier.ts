import type { DeliveryVerdict, LeadVerdict } from '@lead-router/delivery';
import { type HeaderBag, headerValue } from './http-headers';
import type { SalesforceUpsertBatch } from './salesforce-upsert.builder';
import { parseSforceLimitInfo } from './sforce-limit-info.parser';

/** Per-record codes worth another try: a locked row is released, a busy org frees up. */
const RETRIABLE_CODES = new Set(['UNABLE_TO_LOCK_ROW', 'REQUEST_LIMIT_EXCEEDED']);

/** A good record rolled back with a failed one (allOrNone): send it again without the failed one. */
const RESEND_CODES = new Set(['ALL_OR_NONE_OPERATION_ROLLED_BACK']);

interface SalesforceError {
  code: string;
  message: string;
}

/**
 * One verdict per lead of the batch, in its order, from the answer to an sObject Collections
 * upsert. A 200 carries one result per record (success or not); anything else is about the whole
 * request: 401 → refresh the token; 403 REQUEST_LIMIT_EXCEEDED → the daily allocation is spent
 * or the org has too many long requests in flight (both wait for quota; the second briefly), or
 * another limit with allocation left (retry); 5xx → retry; 400 and every other refusal → permanent.
 */
export function classifySalesforceResponse(
  status: number,
  headers: HeaderBag,
  body: unknown,
  batch: Pick<SalesforceUpsertBatch, 'leads'>,
): LeadVerdict[] {
  const all = (verdict: DeliveryVerdict): LeadVerdict[] =>
    batch.leads.map((routed) => ({ leadId: routed.lead.lead_id, verdict }));

  if (status === 200) {
    if (!Array.isArray(body) || body.length !== batch.leads.length) {
      // The request is idempotent (upsert by external id), so an answer that cannot be matched
      // to the records is safe to try again.
      return all({
        kind: 'retry',
        reason: `Salesforce answered 200 with ${Array.isArray(body) ? body.length : 'no'} results for ${batch.leads.length} records`,
      });
    }
    return batch.leads.map((routed, i) => ({
      leadId: routed.lead.lead_id,
      verdict: recordVerdict(body[i]),
    }));
  }

  // Past here one answer decides the whole batch: its status goes with every lead's attempt
  // (a final verdict keeps to the lead's own status, which a batch answer does not have).
  const allAnswered = (verdict: DeliveryVerdict): LeadVerdict[] =>
    all(verdict.kind === 'permanent' ? verdict : { ...verdict, httpStatus: status });
  const error = requestError(body) ?? { code: `http_${status}`, message: `HTTP ${status}` };
  const what = `${error.code}: ${error.message}`;
  if (status === 401) return allAnswered({ kind: 'refresh_token', reason: what });
  if (status === 403 && error.code === 'REQUEST_LIMIT_EXCEEDED') {
    return allAnswered(requestLimitVerdict(error, headers));
  }
  if (status >= 500) return allAnswered({ kind: 'retry', reason: what });
  return allAnswered({ kind: 'permanent', code: error.code, message: error.message });
}

function requestLimitVerdict(error: SalesforceError, headers: HeaderBag): DeliveryVerdict {
  const usage = parseSforceLimitInfo(headerValue(headers, 'Sforce-Limit-Info'));
  if (/concurren/i.test(error.message)) {
    // Too many long requests in flight in the org: a throttle, not a failing destination. Every
    // instance holds back for a moment (the layer parks the destination for its first retry
    // delay) rather than each retrying on its own, and the breaker does not count it: a burst
    // of these must not open the circuit and stop deliveries for minutes.
    return { kind: 'wait_for_quota', reason: `${error.code}: ${error.message}` };
  }
  if (usage !== null && usage.used < usage.allocation) {
    return { kind: 'retry', reason: `${error.code}: ${error.message}` };
  }
  // The allocation is over a rolling 24 hours: there is no reset time to wait for, so the sink
  // parks the destination and probes it.
  return {
    kind: 'wait_for_quota',
    reason: `${error.code}: ${error.message}${usage ? ` (api-usage ${usage.used}/${usage.allocation})` : ''}`,
  };
}

/** An UpsertResult: `{id, success, created, errors: [{statusCode, message, fields}]}`. */
function recordVerdict(result: unknown): DeliveryVerdict {
  const r = (typeof result === 'object' && result !== null ? result : {}) as Record<
    string,
    unknown
  >;
  if (r['success'] === true) {
    return {
      kind: 'delivered',
      crmId: typeof r['id'] === 'string' ? r['id'] : null,
      created: typeof r['created'] === 'boolean' ? r['created'] : null,
    };
  }
  const errors = (Array.isArray(r['errors']) ? r['errors'] : []).map((e) =>
    errorOf(e, 'statusCode'),
  );
  if (errors.length === 0) {
    return {
      kind: 'retry',
      reason: 'Salesforce reported the record unsuccessful without an error',
    };
  }
  const message = errors.map((e) => `${e.code}: ${e.message}`).join('; ');
  // One lasting error makes retrying pointless, whatever passing errors came with it.
  const lasting = errors.find((e) => !RETRIABLE_CODES.has(e.code) && !RESEND_CODES.has(e.code));
  if (lasting) return { kind: 'permanent', code: lasting.code, message };
  if (errors.some((e) => RESEND_CODES.has(e.code))) return { kind: 'resend', reason: message };
  return { kind: 'retry', reason: message };
}

/** A whole-request error: `[{message, errorCode, fields}]`, or the same object alone. */
function requestError(body: unknown): SalesforceError | null {
  const first = Array.isArray(body) ? body[0] : body;
  if (typeof first !== 'object' || first === null || !('errorCode' in first)) return null;
  return errorOf(first, 'errorCode');
}

function errorOf(value: unknown, codeKey: 'statusCode' | 'errorCode'): SalesforceError {
  const e = (typeof value === 'object' && value !== null ? value : {}) as Record<string, unknown>;
  return {
    code: typeof e[codeKey] === 'string' ? e[codeKey] : 'UNKNOWN',
    message: typeof e['message'] === 'string' ? e['message'] : '',
  };
}

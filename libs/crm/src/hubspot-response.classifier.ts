import { type DeliveryVerdict, type LeadVerdict, retryAfterMs } from '@lead-router/delivery';
import { type HeaderBag, headerValue, integerHeader } from './http-headers';
import type { HubSpotUpsertBatch } from './hubspot-upsert.builder';
import { nextMidnight } from './time-zone';

/** The official client waits 10 s on TEN_SECONDLY_ROLLING; the window is ten seconds. */
const TEN_SECONDS_MS = 10_000;

export interface HubSpotClock {
  now: number;
  /** The account's IANA time zone: HubSpot's daily limit resets at midnight there. */
  accountTimeZone: string;
}

type Json = Record<string, unknown>;

/**
 * One verdict per lead of the batch, in its order, from the answer to a contacts batch upsert:
 * 200 → all delivered (ids from `results`); 207 → per input, found by `objectWriteTraceId` (or the
 * id property's value) in `results` and `errors`; 429 → by `policyName`; 401 → stop (a revoked
 * private-app token does not come back by retrying); 5xx → retry; any other refusal → permanent
 * with HubSpot's message.
 */
export function classifyHubSpotResponse(
  status: number,
  headers: HeaderBag,
  body: unknown,
  batch: Pick<HubSpotUpsertBatch, 'body'>,
  clock: HubSpotClock,
): LeadVerdict[] {
  const inputs = batch.body.inputs;
  const leadIds = inputs.map((input) => input.objectWriteTraceId);
  const all = (verdict: DeliveryVerdict): LeadVerdict[] =>
    leadIds.map((leadId) => ({ leadId, verdict }));
  const b = asObject(body);
  const message = str(b['message']) ?? `HTTP ${status}`;

  if (status >= 200 && status <= 299) {
    const delivered = new Map<string, DeliveryVerdict>();
    for (const result of array(b['results'])) {
      const at = inputIndex(inputs, str(result['objectWriteTraceId']), [
        str(asObject(result['properties'])[inputs[0]?.idProperty ?? '']),
      ]);
      if (at === null) continue;
      delivered.set(leadIds[at] as string, {
        kind: 'delivered',
        crmId: str(result['id']),
        created: typeof result['new'] === 'boolean' ? result['new'] : null,
      });
    }
    const failed = new Map<string, DeliveryVerdict>();
    for (const error of array(b['errors'])) {
      const context = asObject(error['context']);
      const traceIds = Object.entries(context)
        .filter(([key]) => /objectwritetraceid/i.test(key))
        .flatMap(([, values]) => strings(values));
      const ids = [
        str(error['id']),
        ...Object.entries(context)
          .filter(([key]) => /^ids?$/i.test(key))
          .flatMap(([, values]) => strings(values)),
      ];
      for (const at of inputIndexes(inputs, traceIds, ids)) {
        failed.set(leadIds[at] as string, inputErrorVerdict(error));
      }
    }
    return leadIds.map((leadId) => ({
      leadId,
      verdict:
        failed.get(leadId) ??
        delivered.get(leadId) ??
        (status === 207
          ? { kind: 'retry', reason: 'HubSpot answered 207 without a result for this input' }
          : { kind: 'delivered', crmId: null, created: null }),
    }));
  }

  // Past here one answer decides the whole batch: its status goes with every lead's attempt
  // (a final verdict keeps to the lead's own status, which a batch answer does not have).
  const allAnswered = (verdict: DeliveryVerdict): LeadVerdict[] =>
    all(verdict.kind === 'permanent' ? verdict : { ...verdict, httpStatus: status });
  if (status === 429) {
    const policy = str(b['policyName']);
    if (policy === 'DAILY') {
      return allAnswered({
        kind: 'wait_for_quota',
        reason: `HubSpot daily limit: ${message}`,
        until: nextMidnight(clock.now, clock.accountTimeZone),
      });
    }
    const wait =
      retryAfterMs(headerValue(headers, 'Retry-After'), clock.now) ??
      integerHeader(headers, 'X-HubSpot-RateLimit-Interval-Milliseconds') ??
      TEN_SECONDS_MS;
    return allAnswered({
      kind: 'retry',
      reason: `HubSpot ${policy ?? 'rate'} limit: ${message}`,
      retryAfterMs: wait,
    });
  }
  if (status === 401) {
    return allAnswered({
      kind: 'stop',
      alert: `HubSpot refused the token (401: ${message}); a private-app token that was revoked or rotated does not come back by retrying: replace the credential, then resume the destination`,
    });
  }
  if (status >= 500) {
    const wait = retryAfterMs(headerValue(headers, 'Retry-After'), clock.now);
    const reason = `HubSpot HTTP ${status}: ${message}`;
    return allAnswered(
      wait === null ? { kind: 'retry', reason } : { kind: 'retry', reason, retryAfterMs: wait },
    );
  }
  return allAnswered({ kind: 'permanent', code: str(b['category']) ?? `http_${status}`, message });
}

/** A failed input of a 207: HubSpot's own status decides whether it may pass later. */
function inputErrorVerdict(error: Json): DeliveryVerdict {
  const status = Number(str(error['status']) ?? NaN);
  const category = str(error['category']);
  const detail = array(error['errors']);
  const message = [str(error['message']), ...detail.map((d) => str(d['message']))]
    .filter((m): m is string => m !== null)
    .join('; ');
  if (status === 429 || status >= 500 || category === 'RATE_LIMITS') {
    return { kind: 'retry', reason: message || `HubSpot ${category ?? 'error'}` };
  }
  const code = detail.map((d) => str(d['code'])).find((c) => c !== null) ?? category ?? 'error';
  return { kind: 'permanent', code, message: message || `HubSpot ${code}` };
}

function inputIndex(
  inputs: HubSpotUpsertBatch['body']['inputs'],
  traceId: string | null,
  ids: (string | null)[],
): number | null {
  return inputIndexes(inputs, traceId === null ? [] : [traceId], ids)[0] ?? null;
}

function inputIndexes(
  inputs: HubSpotUpsertBatch['body']['inputs'],
  traceIds: string[],
  ids: (string | null)[],
): number[] {
  const byTrace = traceIds
    .map((t) => inputs.findIndex((input) => input.objectWriteTraceId === t))
    .filter((i) => i >= 0);
  if (byTrace.length > 0) return byTrace;
  const wanted = ids.filter((id): id is string => id !== null).map((id) => id.toLowerCase());
  return inputs.flatMap((input, i) => (wanted.includes(input.id.toLowerCase()) ? [i] : []));
}

function asObject(value: unknown): Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
    ? (value as Json)
    : {};
}

function array(value: unknown): Json[] {
  return Array.isArray(value) ? value.map(asObject) : [];
}

function str(value: unknown): string | null {
  return typeof value === 'string' ? value : typeof value === 'number' ? String(value) : null;
}

function strings(value: unknown): string[] {
  return (Array.isArray(value) ? value : [value]).flatMap((v) => {
    const s = str(v);
    return s === null ? [] : [s];
  });
}

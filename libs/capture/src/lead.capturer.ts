import { err, ok, type Result } from '@lead-router/errors';
import type { RawLead } from '@lead-router/schemas';
import type { z } from 'zod';
import type { FieldIssue } from './field-issue.type';
import { leadIdFor, randomLeadId } from './lead-id.generator';
import {
  KNOWN_FIELD_MAX_LENGTH,
  type KnownFields,
  knownFieldsSchema,
  leadRulesSchema,
} from './lead-input.schema';

export interface CaptureContext {
  /** Where the lead came from, e.g. web-form, meta-lead-ads, partner-acme. */
  source: string;
  /** Capture time in epoch milliseconds; becomes `received_at`, the start of speed-to-lead. */
  now: number;
  /** The request's `Idempotency-Key`; wins over the body's `source_lead_id` for the lead id. */
  idempotencyKey?: string;
  channel: 'http' | 'kafka';
  /** The IP address the lead was received from (ingest: the client, see RawLead.client_ip). */
  clientIp?: string;
}

export const MAX_BATCH_SIZE = 500;

const knownFieldNames = new Set<string>(Object.keys(KNOWN_FIELD_MAX_LENGTH));

function fieldPath(prefix: string, path: readonly PropertyKey[]): string {
  let out = prefix;
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? 'body' : out;
}

function issueCode(issue: z.core.$ZodIssue): string {
  if (issue.code === 'custom') return String(issue.params?.['code'] ?? 'invalid');
  if (issue.code === 'too_big') return 'too_long';
  return 'invalid_type';
}

function toFieldIssues(issues: readonly z.core.$ZodIssue[], prefix: string): FieldIssue[] {
  return issues.map((issue) => {
    const field = fieldPath(prefix, issue.path);
    return { field, code: issueCode(issue), message: `${field}: ${issue.message}` };
  });
}

function leadIdOf(input: KnownFields, ctx: CaptureContext): string {
  const key = ctx.idempotencyKey ?? input.source_lead_id;
  return key !== undefined && key !== null && key !== ''
    ? leadIdFor(ctx.source, key)
    : randomLeadId();
}

function attributesOf(input: Record<string, unknown>): Record<string, string> {
  const entries: [string, string][] = [];
  for (const [key, value] of Object.entries(input)) {
    if (knownFieldNames.has(key) || value === null || value === undefined) continue;
    entries.push([key, String(value as string | number | boolean)]);
  }
  // fromEntries defines own properties, so a `__proto__` field stays an ordinary attribute.
  return Object.fromEntries(entries);
}

function toRawLead(
  input: KnownFields,
  submitted: Record<string, unknown>,
  ctx: CaptureContext,
): RawLead {
  return {
    lead_id: leadIdOf(input, ctx),
    source: ctx.source,
    source_lead_id: input.source_lead_id ?? null,
    channel: ctx.channel,
    received_at: ctx.now,
    email: input.email ?? null,
    phone: input.phone ?? null,
    first_name: input.first_name ?? null,
    last_name: input.last_name ?? null,
    company: input.company ?? null,
    website: input.website ?? null,
    country: input.country ?? null,
    job_title: input.job_title ?? null,
    message: input.message ?? null,
    // Taken from the submitted object: zod's copy would turn a `__proto__` key into a prototype.
    attributes: attributesOf(submitted),
    client_ip: ctx.clientIp ?? null,
  };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function captureAt(
  input: unknown,
  ctx: CaptureContext,
  prefix: string,
): Result<RawLead, FieldIssue[]> {
  if (!isPlainObject(input)) {
    const field = prefix === '' ? 'body' : prefix;
    return err([{ field, code: 'invalid_type', message: `${field}: expected a JSON object` }]);
  }
  const known = knownFieldsSchema.safeParse(input);
  const rules = leadRulesSchema.safeParse(input);
  const issues = [...(known.error?.issues ?? []), ...(rules.error?.issues ?? [])];
  if (!known.success || issues.length > 0) return err(toFieldIssues(issues, prefix));
  return ok(toRawLead(known.data, input, ctx));
}

/** Validates one submitted lead and turns it into a RawLead, reporting every problem at once. */
export function captureLead(input: unknown, ctx: CaptureContext): Result<RawLead, FieldIssue[]> {
  return captureAt(input, ctx, '');
}

/**
 * Validates a batch, `{ "leads": [...] }` or a bare array of 1..500 leads. It is all or nothing:
 * one bad lead rejects the batch, so the caller never has to report a partial acceptance.
 */
export function captureBatch(input: unknown, ctx: CaptureContext): Result<RawLead[], FieldIssue[]> {
  const items = Array.isArray(input) ? input : isPlainObject(input) ? input['leads'] : undefined;
  if (!Array.isArray(items)) {
    return err([
      {
        field: 'leads',
        code: 'invalid_type',
        message: 'leads: expected an array of leads, or an object with a "leads" array',
      },
    ]);
  }
  if (items.length === 0 || items.length > MAX_BATCH_SIZE) {
    return err([
      {
        field: 'leads',
        code: items.length === 0 ? 'empty_batch' : 'too_many_items',
        message: `leads: expected 1 to ${MAX_BATCH_SIZE} leads, got ${items.length}`,
      },
    ]);
  }
  const leads: RawLead[] = [];
  const issues: FieldIssue[] = [];
  items.forEach((item: unknown, i) => {
    const { idempotencyKey, ...rest } = ctx;
    const itemCtx: CaptureContext =
      idempotencyKey === undefined ? rest : { ...rest, idempotencyKey: `${idempotencyKey}:${i}` };
    const result = captureAt(item, itemCtx, `leads[${i}]`);
    if (result.ok) leads.push(result.value);
    else issues.push(...result.error);
  });
  return issues.length > 0 ? err(issues) : ok(leads);
}

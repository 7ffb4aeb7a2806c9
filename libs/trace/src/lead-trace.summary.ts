import type {
  DeadLetter,
  DeliveryAttempt,
  DeliveryOutcome,
  Destination,
  EnrichedLead,
  NormalizedLead,
  RawLead,
  RoutedLead,
  RoutingDecision,
} from '@lead-router/schemas';

/** One step of a lead's path, as kept in the trace index. */
export type TraceStage =
  'captured' | 'normalized' | 'enriched' | 'routed' | 'attempted' | 'delivered' | 'dead-lettered';

/** The order a lead moves through the stages, for events that share a timestamp. */
export const TRACE_STAGE_ORDER: readonly TraceStage[] = [
  'captured',
  'normalized',
  'enriched',
  'routed',
  'attempted',
  'delivered',
  'dead-lettered',
];

export interface CapturedSummary {
  source: string;
  channel: string;
  source_lead_id: string | null;
  has_email: boolean;
  has_phone: boolean;
  has_name: boolean;
  has_company: boolean;
  attributes: number;
}

export interface NormalizedSummary {
  has_email: boolean;
  has_phone: boolean;
  /** The normalized email's domain, never the address. */
  email_domain: string | null;
  country: string | null;
  phone_country: string | null;
  issues: string[];
}

export interface EnrichedSummary {
  company_domain: string | null;
  email_domain: string | null;
  free_mail: boolean;
  country: string | null;
  /** The account step's outcome (absent in summaries indexed before account matching). */
  account_status?: string | null;
  /** The first lead with the same email or phone, when this one is its duplicate. */
  duplicate?: { of: string; by: string | null; owner: string | null } | null;
  account?: {
    account_id: string;
    name: string;
    method: string;
    score: number;
    owner: string | null;
  } | null;
}

export interface RoutedSummary {
  decision: RoutingDecision;
  destinations: Destination[];
  received_at: number;
}

/** One try of a sink to deliver the lead to a destination, or one hold without a request. */
export interface AttemptedSummary {
  destination_id: string;
  destination_type: string;
  attempt: number;
  /** DELIVERED, RETRY, WAIT_FOR_QUOTA, ... or, for a hold, PARKED, BUDGET, CIRCUIT_OPEN. */
  answer: string;
  sent: boolean;
  http_status: number | null;
  message: string | null;
  external_id: string | null;
  /** DONE, RETRY or FALLBACK. */
  next: string;
  next_due_at: number | null;
  retry_topic: string | null;
  batch_size: number;
  duration_ms: number | null;
}

export interface DeliveredSummary {
  destination_id: string;
  destination_type: string;
  status: string;
  attempts: number;
  http_status: number | null;
  external_id: string | null;
  error: string | null;
  owner_id: string | null;
  rule_set_version: string;
  speed_to_lead_ms: number;
}

export interface DeadLetteredSummary {
  stage: string;
  code: string;
  error: string;
  attempts: number;
  topic: string;
  partition: number;
  offset: string;
}

export type TraceSummary =
  | CapturedSummary
  | NormalizedSummary
  | EnrichedSummary
  | RoutedSummary
  | AttemptedSummary
  | DeliveredSummary
  | DeadLetteredSummary;

/** One index row's content: which lead, which step, when, and what `trace` prints of it. */
export interface TraceEvent {
  leadId: string;
  stage: TraceStage;
  at: number;
  summary: TraceSummary;
}

const domainOf = (email: string | null): string | null => {
  const at = email?.lastIndexOf('@') ?? -1;
  return email !== null && at >= 0 ? email.slice(at + 1) : null;
};

/** Raw leads carry contact details as submitted: only their presence is kept. */
export function capturedEvent(raw: RawLead): TraceEvent {
  return {
    leadId: raw.lead_id,
    stage: 'captured',
    at: raw.received_at,
    summary: {
      source: raw.source,
      channel: raw.channel,
      source_lead_id: raw.source_lead_id,
      has_email: Boolean(raw.email),
      has_phone: Boolean(raw.phone),
      has_name: Boolean(raw.first_name || raw.last_name),
      has_company: Boolean(raw.company),
      attributes: Object.keys(raw.attributes).length,
    } satisfies CapturedSummary,
  };
}

export function normalizedEvent(lead: NormalizedLead): TraceEvent {
  return {
    leadId: lead.lead_id,
    stage: 'normalized',
    at: lead.normalized_at,
    summary: {
      has_email: lead.email !== null,
      has_phone: lead.phone !== null,
      email_domain: domainOf(lead.email),
      country: lead.country,
      phone_country: lead.phone_country,
      issues: lead.issues,
    } satisfies NormalizedSummary,
  };
}

function accountOf({ enrichment }: EnrichedLead): EnrichedSummary['account'] {
  const a = enrichment.account;
  return a === null
    ? null
    : { account_id: a.account_id, name: a.name, method: a.method, score: a.score, owner: a.owner };
}

export function enrichedEvent(enriched: EnrichedLead): TraceEvent {
  return {
    leadId: enriched.lead.lead_id,
    stage: 'enriched',
    at: enriched.enrichment.enriched_at,
    summary: {
      company_domain: enriched.enrichment.company_domain,
      email_domain: enriched.enrichment.email_domain,
      free_mail: enriched.enrichment.free_mail,
      country: enriched.lead.country,
      account_status: enriched.enrichment.enrichment_status['account'] ?? null,
      account: accountOf(enriched),
      duplicate:
        enriched.enrichment.duplicate_of === null
          ? null
          : {
              of: enriched.enrichment.duplicate_of,
              by: enriched.enrichment.duplicate_by,
              owner: enriched.enrichment.duplicate_owner,
            },
    } satisfies EnrichedSummary,
  };
}

export function routedEvent(routed: RoutedLead): TraceEvent {
  return {
    leadId: routed.lead.lead_id,
    stage: 'routed',
    at: routed.decision.decided_at,
    summary: {
      decision: routed.decision,
      destinations: routed.destinations,
      received_at: routed.lead.received_at,
    } satisfies RoutedSummary,
  };
}

export function attemptedEvent(attempt: DeliveryAttempt): TraceEvent {
  return {
    leadId: attempt.lead_id,
    stage: 'attempted',
    at: attempt.at,
    summary: {
      destination_id: attempt.destination_id,
      destination_type: attempt.destination_type,
      attempt: attempt.attempt,
      answer: attempt.answer,
      sent: attempt.sent,
      http_status: attempt.http_status,
      message: attempt.message,
      external_id: attempt.external_id,
      next: attempt.next,
      next_due_at: attempt.next_due_at,
      retry_topic: attempt.retry_topic,
      batch_size: attempt.batch_size,
      duration_ms: attempt.duration_ms,
    } satisfies AttemptedSummary,
  };
}

export function deliveredEvent(outcome: DeliveryOutcome): TraceEvent {
  return {
    leadId: outcome.lead_id,
    stage: 'delivered',
    at: outcome.completed_at,
    summary: {
      destination_id: outcome.destination_id,
      destination_type: outcome.destination_type,
      status: outcome.status,
      attempts: outcome.attempts,
      http_status: outcome.http_status,
      external_id: outcome.external_id,
      error: outcome.error,
      owner_id: outcome.owner_id,
      rule_set_version: outcome.rule_set_version,
      speed_to_lead_ms: outcome.speed_to_lead_ms,
    } satisfies DeliveredSummary,
  };
}

/** A dead letter without a lead id (bytes that never decoded) cannot be traced: null. */
export function deadLetteredEvent(dead: DeadLetter): TraceEvent | null {
  const leadId = dead.lead_id ?? dead.key?.toString('utf8') ?? null;
  if (leadId === null || leadId === '') return null;
  return {
    leadId,
    stage: 'dead-lettered',
    at: dead.failed_at,
    summary: {
      stage: dead.stage,
      code: dead.error_code,
      error: dead.error,
      attempts: dead.attempts,
      topic: dead.topic,
      partition: dead.partition,
      offset: dead.offset,
    } satisfies DeadLetteredSummary,
  };
}

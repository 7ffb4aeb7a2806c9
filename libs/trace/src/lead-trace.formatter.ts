import type { ConditionTrace, DistributionStep } from '@lead-router/schemas';
import {
  TRACE_STAGE_ORDER,
  type AttemptedSummary,
  type CapturedSummary,
  type DeadLetteredSummary,
  type DeliveredSummary,
  type EnrichedSummary,
  type NormalizedSummary,
  type RoutedSummary,
  type TraceEvent,
} from './lead-trace.summary';

const iso = (ms: number) => new Date(ms).toISOString();
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`;

function captured(s: CapturedSummary, at: number): string {
  const has = [
    s.has_email && 'email',
    s.has_phone && 'phone',
    s.has_name && 'name',
    s.has_company && 'company',
  ].filter(Boolean);
  const id = s.source_lead_id ? ` (source id ${s.source_lead_id})` : '';
  return `captured via ${s.channel} from ${s.source}${id} at ${iso(at)}; submitted ${has.length > 0 ? has.join(', ') : 'no contact fields'}${s.attributes > 0 ? ` and ${plural(s.attributes, 'attribute')}` : ''}`;
}

function normalized(s: NormalizedSummary, at: number): string {
  const kept = [
    s.has_email && `email at ${s.email_domain ?? '?'}`,
    s.has_phone && `phone${s.phone_country ? ` (${s.phone_country})` : ''}`,
    s.country && `country ${s.country}`,
  ].filter(Boolean);
  const issues = s.issues.length > 0 ? s.issues.join('; ') : 'none';
  return `normalized at ${iso(at)}: ${kept.length > 0 ? kept.join(', ') : 'no usable contact'} (issues: ${issues})`;
}

function enriched(s: EnrichedSummary): string[] {
  const company = s.company_domain ? `company ${s.company_domain}` : 'no company domain';
  const email = s.email_domain === null ? 'no email' : s.free_mail ? 'free mail' : 'business email';
  const lines = [`enriched: ${company}, ${email}`];
  const account = accountLine(s);
  if (account !== null) lines.push(`  ${account}`);
  const d = s.duplicate;
  if (d != null) {
    const owner = d.owner === null ? 'its owner not known yet' : `its owner ${d.owner}`;
    lines.push(`  duplicate of lead ${d.of} (same ${d.by ?? 'contact'}); ${owner}`);
  }
  return lines;
}

/** Which account the lead was matched to and how; null when the step was off or never ran. */
function accountLine(s: EnrichedSummary): string | null {
  const a = s.account;
  if (a != null) {
    const owner = a.owner === null ? 'no owner' : `owner ${a.owner}`;
    return `account ${a.account_id} (${a.name}) matched by ${a.method}, score ${a.score.toFixed(2)}; ${owner}`;
  }
  switch (s.account_status) {
    case 'no_match':
      return 'account: no account matched';
    case 'skipped':
      return 'account: nothing to match by (no company domain, business email or company name)';
    case undefined:
    case null:
    case 'disabled':
      return null;
    default:
      return `account: ${s.account_status}`;
  }
}

function conditionText(c: ConditionTrace): string {
  return `${c.path} ${c.op} ${c.expected} (was ${c.actual})`;
}

function distributionText(d: DistributionStep): string {
  const skipped =
    d.skipped.length > 0
      ? ` (skipped: ${d.skipped.map((s) => `${s.member}: ${s.reason}`).join('; ')})`
      : '';
  const weights = Object.keys(d.weights).length
    ? ` weights ${Object.entries(d.weights)
        .map(([m, w]) => `${m}=${w}`)
        .join(', ')}`
    : '';
  const loads = Object.keys(d.loads).length
    ? ` loads ${Object.entries(d.loads)
        .map(([m, l]) => `${m}=${l}`)
        .join(', ')}`
    : '';
  const overflow =
    d.overflowed_from.length > 0 ? `, after ${d.overflowed_from.join(', ')} had nobody` : '';
  return `${d.method} position ${d.position} of [${d.members.join(', ')}]${weights}${loads} chose ${d.chosen_member}${skipped}${overflow}`;
}

function routed(s: RoutedSummary, at: number): string[] {
  const d = s.decision;
  const parts = [
    `routed at ${iso(at)} by rule set ${d.rule_set_id} v${d.rule_set_version}: ` +
      (d.fallback
        ? `no rule matched, fallback (${d.reason})`
        : `rule ${d.matched_rule} matched because ${d.reason}`),
  ];
  if (d.queue !== null) parts.push(`queue ${d.queue}`);
  if (d.distribution !== null) parts.push(distributionText(d.distribution));
  parts.push(d.owner_id !== null ? `owner ${d.owner_id}` : 'no owner yet');
  const lines = [parts.join('; ')];
  for (const e of d.evaluated.filter((r) => !r.matched)) {
    const failed = e.conditions.filter((c) => !c.result);
    lines.push(
      `    rule ${e.rule} did not match: ${(failed.length > 0 ? failed : e.conditions).map(conditionText).join(', ') || 'no conditions held'}`,
    );
  }
  if (s.destinations.length > 0) {
    lines.push(
      `    destinations: ${s.destinations.map((t) => `${t.id} (${t.type}${t.owner_id ? `, owner ${t.owner_id}` : ''})`).join(', ')}`,
    );
  }
  return lines;
}

function delivered(s: DeliveredSummary, at: number): string {
  const http = s.http_status !== null ? ` (HTTP ${s.http_status})` : '';
  const attempts = plural(s.attempts, 'attempt');
  if (s.status === 'DELIVERED') {
    return `delivered to ${s.destination_id} at ${iso(at)} after ${attempts}${http}, ${s.speed_to_lead_ms} ms after capture${s.external_id ? `; id there ${s.external_id}` : ''}`;
  }
  if (s.status === 'ERASURE_REQUESTED') {
    return `erasure requested at ${iso(at)}; nothing was deleted in ${s.destination_id} (${s.destination_type}): ${s.error ?? 'delete the lead there'}`;
  }
  if (s.status === 'FELL_BACK') {
    return `delivery to ${s.destination_id} gave up at ${iso(at)} after ${attempts}: ${s.error ?? 'fell back'}`;
  }
  return `delivery to ${s.destination_id} failed at ${iso(at)} after ${attempts}${http}: ${s.error ?? 'no reason given'}`;
}

/** What a quota wait is, as against any other wait for a retry. */
const QUOTA_ANSWERS = new Set(['WAIT_FOR_QUOTA', 'PARKED']);

/**
 * One try or hold: the answer (or why nothing was sent), the destination's message, then what
 * comes next: the time the lead waits until, and the retry topic it waits on.
 */
function attempted(s: AttemptedSummary, at: number): string {
  const http = s.http_status !== null ? ` (HTTP ${s.http_status})` : '';
  const held = s.sent ? '' : 'held, not sent: ';
  const message = s.message ? `: ${s.message}` : '';
  const details = [
    s.external_id ? `id there ${s.external_id}` : null,
    s.sent
      ? `${s.batch_size === 1 ? 'alone' : `batch of ${s.batch_size}`}${s.duration_ms !== null ? `, ${s.duration_ms} ms` : ''}`
      : null,
  ].filter((d) => d !== null);
  let next = '';
  if (s.next === 'RETRY' && s.next_due_at !== null) {
    const wait = QUOTA_ANSWERS.has(s.answer) ? 'waiting for quota until' : 'waiting until';
    next = `; ${wait} ${iso(s.next_due_at)}${s.retry_topic ? ` on ${s.retry_topic}` : ''}`;
  } else if (s.next === 'FALLBACK') {
    next = '; goes to the fallback';
  }
  return `attempt ${s.attempt} at ${iso(at)}: ${held}${s.answer}${http}${message}${details.length > 0 ? ` (${details.join('; ')})` : ''}${next}`;
}

const destinationOf = (e: TraceEvent) =>
  (e.summary as AttemptedSummary | DeliveredSummary).destination_id;

/**
 * A destination's attempts in order, then its outcome. A lead indexed before sinks wrote
 * attempts has only the outcome line, as it always had.
 */
function delivery(events: readonly TraceEvent[]): string[] {
  const rank = (e: TraceEvent) => TRACE_STAGE_ORDER.indexOf(e.stage);
  const ordered = [...events].sort(
    (a, b) =>
      a.at - b.at ||
      rank(a) - rank(b) ||
      (a.stage === 'attempted' && b.stage === 'attempted'
        ? (a.summary as AttemptedSummary).attempt - (b.summary as AttemptedSummary).attempt
        : 0),
  );
  const outcomes = ordered.filter((e) => e.stage === 'delivered');
  const attempts = ordered.filter((e) => e.stage === 'attempted');
  if (attempts.length === 0) {
    return outcomes.map((e) => `  ${delivered(e.summary as DeliveredSummary, e.at)}`);
  }
  const first = attempts[0]!.summary as AttemptedSummary;
  const lines = [`  delivery to ${first.destination_id} (${first.destination_type}):`];
  for (const e of ordered) {
    lines.push(
      `    ${e.stage === 'attempted' ? attempted(e.summary as AttemptedSummary, e.at) : delivered(e.summary as DeliveredSummary, e.at)}`,
    );
  }
  if (outcomes.length === 0) lines.push('    no outcome yet');
  return lines;
}

function deadLettered(s: DeadLetteredSummary, at: number): string {
  return `dead-lettered by ${s.stage} at ${iso(at)}: ${s.error} (code ${s.code}, ${plural(s.attempts, 'attempt')}; original at ${s.topic}[${s.partition}]@${s.offset})`;
}

/**
 * A lead's path in plain words, one line per event (routing adds the rules it passed over).
 * Delivery is told per destination where the destination first comes up: each attempt with its
 * answer and wait, then the outcome.
 */
export function formatTrace(leadId: string, events: readonly TraceEvent[]): string {
  if (events.length === 0) return `lead ${leadId}: not in the trace index`;
  const lines = [`lead ${leadId}`];
  const deliveries = new Map<string, TraceEvent[]>();
  for (const e of events) {
    if (e.stage !== 'attempted' && e.stage !== 'delivered') continue;
    const list = deliveries.get(destinationOf(e)) ?? [];
    list.push(e);
    deliveries.set(destinationOf(e), list);
  }
  const told = new Set<string>();
  for (const e of events) {
    switch (e.stage) {
      case 'captured':
        lines.push(`  ${captured(e.summary as CapturedSummary, e.at)}`);
        break;
      case 'normalized':
        lines.push(`  ${normalized(e.summary as NormalizedSummary, e.at)}`);
        break;
      case 'enriched':
        for (const line of enriched(e.summary as EnrichedSummary)) lines.push(`  ${line}`);
        break;
      case 'routed':
        for (const line of routed(e.summary as RoutedSummary, e.at)) lines.push(`  ${line}`);
        break;
      case 'attempted':
      case 'delivered': {
        const destination = destinationOf(e);
        if (told.has(destination)) break;
        told.add(destination);
        lines.push(...delivery(deliveries.get(destination)!));
        break;
      }
      case 'dead-lettered':
        lines.push(`  ${deadLettered(e.summary as DeadLetteredSummary, e.at)}`);
        break;
    }
  }
  return lines.join('\n');
}

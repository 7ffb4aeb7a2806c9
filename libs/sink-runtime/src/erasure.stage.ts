import type { StageDefinition, StageOutput } from '@lead-router/kafka';
import { type Logger, MetricNames } from '@lead-router/observability';
import type { DeliveryOutcome, ErasureRequest } from '@lead-router/schemas';
import { Counter, type Registry } from 'prom-client';
import type { ErasureSubject, SinkAdapter } from './sink.adapter';

export interface SinkErasureOptions {
  /** The sink's name, a metric label. */
  sink: string;
  adapter: Pick<SinkAdapter, 'type' | 'erase'>;
  /** The sink's consumer group; the stage's is `<groupId>.erasures`. */
  groupId: string;
  topics: { erasures: string; delivered: string; dlq: string };
  /** The active rule set: its destinations (id, type) and version. */
  ruleSet: () => {
    version: string;
    destinations: Iterable<readonly [string, { readonly type: string }]>;
  };
  logger: Logger;
  registry: Registry;
  now?: () => number;
}

/** How the operator finds the lead in a destination of each type, to delete it there. */
const WHERE_TO_LOOK: Readonly<Record<string, string>> = {
  salesforce: 'the record whose external id field holds the lead id',
  hubspot: 'the contact with the email the person gave',
  webhook: 'ask the receiver to delete the lead (its webhook-id is the lead id)',
};

/**
 * The ERASURE_REQUESTED outcome for one destination: not a delivery, a note to the operator on
 * leads.delivered that this destination may still hold the person's lead and lead-router
 * deleted nothing there. Keyed and `lead_id`'d by the request's subject key (`lead:<id>` or
 * `email:<sha256>`), so the trace index keeps it under that key (`leadctl trace lead:<id>`)
 * while the lead's own trace is deleted, and the suppression list, which skips the lead's
 * records, lets it through.
 */
export function erasureRequestedOutcome(
  request: ErasureRequest,
  destination: { id: string; type: string },
  ruleSetVersion: string,
  now: number,
): DeliveryOutcome {
  const who =
    request.lead_id !== null ? `lead ${request.lead_id}` : 'every lead of an email (by its digest)';
  const look = WHERE_TO_LOOK[destination.type] ?? 'the lead by its lead id or email';
  return {
    lead_id: request.subject_key,
    source: 'erasure',
    destination_id: destination.id,
    destination_type: destination.type,
    status: 'ERASURE_REQUESTED',
    delivery_id: `erasure:${request.subject_key}:${destination.id}`,
    attempts: 0,
    http_status: null,
    external_id: null,
    error: `right-to-erasure request for ${who}: lead-router deletes nothing in ${destination.id}; if it holds the lead, delete it there (${look})`,
    rule_set_version: ruleSetVersion,
    owner_id: null,
    received_at: request.requested_at,
    completed_at: now,
    speed_to_lead_ms: 0,
  };
}

/**
 * privacy.erasures -> what the sink does for a forgotten person. A sink whose adapter can delete
 * (`erase`: sink-postgres) deletes the person's rows in every table it writes, and counts them;
 * the others (the CRMs, webhooks), which cannot take back what the destination received, write
 * one ERASURE_REQUESTED outcome per destination of their type in the active rule set for the
 * operator. Leads a later replay would bring are skipped by the suppression list, not here.
 */
export function sinkErasureStage(options: SinkErasureOptions): StageDefinition<ErasureRequest> {
  const { sink, adapter, topics, logger } = options;
  const now = options.now ?? Date.now;
  const handled = new Counter({
    name: MetricNames.erasureRequests,
    help: 'Right-to-erasure requests handled, by service and what it did (erased or recorded)',
    labelNames: ['service', 'action'],
    registers: [options.registry],
  });
  const erasedRows = new Counter({
    name: MetricNames.erasedRecords,
    help: 'Rows or entries deleted for right-to-erasure requests, by service',
    labelNames: ['service'],
    registers: [options.registry],
  });
  return {
    stage: `${sink}-erasures`,
    groupId: `${options.groupId}.erasures`,
    topic: topics.erasures,
    schema: 'ErasureRequest',
    dlqTopic: topics.dlq,
    concurrency: 1,
    leadIdOf: (request) => request.lead_id,
    handle: async (request) => {
      const subject: ErasureSubject = {
        leadId: request.lead_id,
        emailSha256: request.email_sha256,
      };
      const kind = request.lead_id === null ? 'email' : 'lead';
      if (adapter.erase !== undefined) {
        const rows = await adapter.erase(subject);
        handled.inc({ service: sink, action: 'erased' });
        erasedRows.inc({ service: sink }, rows);
        logger.info(
          { leadId: request.lead_id, subject: kind, rows },
          'erasure request: rows deleted',
        );
        return { kind: 'ok', outputs: [] };
      }
      const { version, destinations } = options.ruleSet();
      const at = now();
      const outputs: StageOutput[] = [];
      for (const [id, destination] of destinations) {
        if (destination.type !== adapter.type) continue;
        outputs.push({
          topic: topics.delivered,
          key: request.subject_key,
          value: erasureRequestedOutcome(request, { id, type: destination.type }, version, at),
        });
      }
      handled.inc({ service: sink, action: 'recorded' });
      logger.info(
        { leadId: request.lead_id, subject: kind, destinations: outputs.length },
        'erasure request: recorded for the operator',
      );
      return { kind: 'ok', outputs };
    },
  };
}

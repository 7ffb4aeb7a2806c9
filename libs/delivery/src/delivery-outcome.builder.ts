import type {
  DeliveryOutcome,
  DeliveryStatus,
  Destination,
  RoutedLead,
} from '@lead-router/schemas';

export interface DeliveryOutcomeArgs {
  routed: RoutedLead;
  destination: Destination;
  deliveryId: string;
  status: DeliveryStatus;
  attempts: number;
  httpStatus: number | null;
  externalId?: string | null;
  error?: string | null;
  completedAt: number;
}

/**
 * The record for leads.delivered. speed_to_lead_ms is capture to completion; for a FAILED
 * outcome it is the time spent before giving up, which speed-to-lead metrics should not count.
 */
export function deliveryOutcome(args: DeliveryOutcomeArgs): DeliveryOutcome {
  const { lead, decision } = args.routed;
  return {
    lead_id: lead.lead_id,
    source: lead.source,
    destination_id: args.destination.id,
    destination_type: args.destination.type,
    status: args.status,
    delivery_id: args.deliveryId,
    attempts: args.attempts,
    http_status: args.httpStatus,
    external_id: args.externalId ?? null,
    error: args.error ?? null,
    rule_set_version: decision.rule_set_version,
    owner_id: args.destination.owner_id,
    received_at: lead.received_at,
    completed_at: args.completedAt,
    speed_to_lead_ms: Math.max(0, args.completedAt - lead.received_at),
  };
}

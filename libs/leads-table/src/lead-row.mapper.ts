import { createHash } from 'node:crypto';
import type { Destination, RoutedLead } from '@lead-router/schemas';

/** One row of the leads table: one lead as one postgres destination holds it. */
export interface LeadRow {
  destination: string;
  leadId: string;
  /** The routed lead as it was on leads.routed (lead, enrichment, decision, destinations). */
  lead: RoutedLead;
  ownerId: string | null;
  queue: string | null;
  ruleSetId: string;
  ruleSetVersion: string;
  matchedRule: string;
  source: string;
  receivedAt: number;
  routedAt: number;
  deliveredAt: number;
  /**
   * The hex SHA-256 of the lead's (normalized) email: what a right-to-erasure request names the
   * email by (`emailDigest` of @lead-router/privacy gives the same for the address as submitted).
   */
  emailSha256: string | null;
}

/**
 * The row for one (lead, destination). The owner is the one the router chose for this
 * destination (an owner id in that system), not the decision's owner in general.
 */
export function leadRow(
  routed: RoutedLead,
  destination: Destination,
  deliveredAt: number,
): LeadRow {
  const { lead, decision } = routed;
  return {
    destination: destination.id,
    leadId: lead.lead_id,
    lead: routed,
    ownerId: destination.owner_id,
    queue: decision.queue,
    ruleSetId: decision.rule_set_id,
    ruleSetVersion: decision.rule_set_version,
    matchedRule: decision.matched_rule,
    source: lead.source,
    receivedAt: lead.received_at,
    routedAt: decision.decided_at,
    deliveredAt,
    emailSha256:
      lead.email === null ? null : createHash('sha256').update(lead.email, 'utf8').digest('hex'),
  };
}

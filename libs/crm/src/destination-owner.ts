import type { LeadVerdict } from '@lead-router/delivery';
import type { Destination, RoutedLead } from '@lead-router/schemas';

/** The destination a batch is for: its name in the rule set. */
export type DestinationRef = Pick<Destination, 'id'>;

/**
 * The lead's own entry for this destination, which carries the owner the router chose there; a
 * verdict instead when the lead was not routed to it (a wiring fault, not the lead's).
 */
export function routedDestination(
  routed: RoutedLead,
  destination: DestinationRef,
): { entry: Destination } | { rejected: LeadVerdict } {
  const entry = routed.destinations.find((d) => d.id === destination.id);
  if (entry) return { entry };
  return {
    rejected: {
      leadId: routed.lead.lead_id,
      verdict: {
        kind: 'permanent',
        code: 'not_routed_to_destination',
        message: `the lead was not routed to destination ${destination.id}`,
      },
    },
  };
}

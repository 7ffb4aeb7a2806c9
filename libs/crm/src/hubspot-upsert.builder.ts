import type { LeadVerdict } from '@lead-router/delivery';
import type { RoutedLead } from '@lead-router/schemas';
import { splitIntoBatches } from './batch.splitter';
import { type DestinationRef, routedDestination } from './destination-owner';
import type { HubSpotMapping } from './field-mapping.schema';
import { mappedFields } from './field-value.resolver';

/** HubSpot's batch operations take at most 100 records a request (Contacts guide, "Limits"). */
export const HUBSPOT_MAX_INPUTS = 100;

export const HUBSPOT_CONTACTS_UPSERT_PATH = '/crm/v3/objects/contacts/batch/upsert';

export interface HubSpotUpsertInput {
  /** The id property's value for this contact. */
  id: string;
  idProperty: string;
  /** Every value a string: HubSpot's property values are strings. */
  properties: Record<string, string>;
  /** The lead id: it turns on per-input (207) answers and names the input in them. */
  objectWriteTraceId: string;
}

/** `POST /crm/v3/objects/contacts/batch/upsert`. */
export interface HubSpotUpsertBatch {
  method: 'POST';
  path: string;
  body: { inputs: HubSpotUpsertInput[] };
  /** The leads in the order of `body.inputs`. */
  leads: RoutedLead[];
}

export interface HubSpotUpsertPlan {
  batches: HubSpotUpsertBatch[];
  /** Leads that cannot be sent at all (no value for the id property), with their verdicts. */
  rejected: LeadVerdict[];
}

/**
 * The batch upserts for leads routed to one HubSpot destination: contacts matched on the
 * mapping's id property (email by default), `hubspot_owner_id` the owner the router chose. A lead
 * with no value for the id property could only create an anonymous duplicate, so it is refused
 * here instead of sent.
 */
export function hubspotUpsertBatches(
  leads: readonly RoutedLead[],
  destination: DestinationRef,
  mapping: HubSpotMapping,
): HubSpotUpsertPlan {
  const rejected: LeadVerdict[] = [];
  const sendable: { routed: RoutedLead; input: HubSpotUpsertInput }[] = [];
  for (const routed of leads) {
    const found = routedDestination(routed, destination);
    if ('rejected' in found) {
      rejected.push(found.rejected);
      continue;
    }
    const properties: Record<string, string> = {};
    for (const [name, value] of Object.entries(mappedFields(routed, mapping.fields))) {
      properties[name] = String(value);
    }
    if (found.entry.owner_id !== null) properties['hubspot_owner_id'] = found.entry.owner_id;
    const id = properties[mapping.id_property];
    if (id === undefined) {
      rejected.push({
        leadId: routed.lead.lead_id,
        verdict: {
          kind: 'permanent',
          code: 'missing_id_property',
          message: `the lead has no value for HubSpot's id property ${mapping.id_property}`,
        },
      });
      continue;
    }
    sendable.push({
      routed,
      input: {
        id,
        idProperty: mapping.id_property,
        properties,
        objectWriteTraceId: routed.lead.lead_id,
      },
    });
  }
  const batches = splitIntoBatches(sendable, HUBSPOT_MAX_INPUTS, (s) => [
    `id:${s.input.id.toLowerCase()}`,
    `trace:${s.input.objectWriteTraceId}`,
  ]).map((batch): HubSpotUpsertBatch => ({
    method: 'POST',
    path: HUBSPOT_CONTACTS_UPSERT_PATH,
    body: { inputs: batch.map((s) => s.input) },
    leads: batch.map((s) => s.routed),
  }));
  return { batches, rejected };
}

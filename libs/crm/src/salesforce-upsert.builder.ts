import type { LeadVerdict } from '@lead-router/delivery';
import type { RoutedLead } from '@lead-router/schemas';
import { splitIntoBatches } from './batch.splitter';
import { type DestinationRef, routedDestination } from './destination-owner';
import type { SalesforceMapping } from './field-mapping.schema';
import { type FieldValue, mappedFields } from './field-value.resolver';

/** sObject Collections take at most 200 records a request (REST API guide, "Upsert Records Using sObject Collections"). */
export const SALESFORCE_MAX_RECORDS = 200;

/** One record: its type, the external id, the owner, the mapped fields; never an `Id`. */
export type SalesforceRecord = { attributes: { type: string } } & Record<
  string,
  FieldValue | { type: string }
>;

/** `PATCH /services/data/vXX.X/composite/sobjects/{SObject}/{ExternalIdField}`. */
export interface SalesforceUpsertBatch {
  method: 'PATCH';
  /** Relative to the instance URL. */
  path: string;
  body: { allOrNone: false; records: SalesforceRecord[] };
  /** The leads in the order of `body.records`; results come back in that order. */
  leads: RoutedLead[];
}

export interface SalesforceUpsertPlan {
  batches: SalesforceUpsertBatch[];
  /** Leads that cannot be sent at all, with their verdicts. */
  rejected: LeadVerdict[];
}

/**
 * The upsert requests for leads routed to one Salesforce destination. The external id field holds
 * the lead id, so a replayed lead updates its record; `allOrNone: false` lets every good record
 * land beside a bad one; `OwnerId` is the owner the router chose for this destination.
 */
export function salesforceUpsertBatches(
  leads: readonly RoutedLead[],
  destination: DestinationRef,
  mapping: SalesforceMapping,
): SalesforceUpsertPlan {
  const rejected: LeadVerdict[] = [];
  const sendable: { routed: RoutedLead; ownerId: string | null }[] = [];
  for (const routed of leads) {
    const found = routedDestination(routed, destination);
    if ('rejected' in found) rejected.push(found.rejected);
    else sendable.push({ routed, ownerId: found.entry.owner_id });
  }
  const path = `/services/data/v${mapping.api_version}/composite/sobjects/${mapping.sobject}/${mapping.external_id_field}`;
  const batches = splitIntoBatches(sendable, SALESFORCE_MAX_RECORDS, (s) => [
    s.routed.lead.lead_id,
  ]).map((batch): SalesforceUpsertBatch => ({
    method: 'PATCH',
    path,
    body: {
      allOrNone: false,
      records: batch.map(({ routed, ownerId }) => ({
        ...mappedFields(routed, mapping.fields),
        attributes: { type: mapping.sobject },
        [mapping.external_id_field]: routed.lead.lead_id,
        ...(ownerId === null ? {} : { OwnerId: ownerId }),
      })),
    },
    leads: batch.map((s) => s.routed),
  }));
  return { batches, rejected };
}

export {
  DEFAULT_HUBSPOT_MAPPING,
  DEFAULT_SALESFORCE_MAPPING,
  type FieldSource,
  HUBSPOT_CONTACT_DEFAULT_FIELDS,
  type HubSpotMapping,
  type HubSpotMappingInput,
  SALESFORCE_LEAD_DEFAULT_FIELDS,
  type SalesforceMapping,
  type SalesforceMappingInput,
  fieldSourceSchema,
  hubspotMappingSchema,
  leadPathSchema,
  salesforceMappingSchema,
} from './field-mapping.schema';
export { type FieldValue, mappedFields, valueAtPath } from './field-value.resolver';
export { MAPPING_ROOTS, mappablePaths, readPath, scalarPathPattern } from './lead-paths';
export { type HeaderBag, headerValue } from './http-headers';
export { type DestinationRef } from './destination-owner';
export {
  SALESFORCE_MAX_RECORDS,
  type SalesforceRecord,
  type SalesforceUpsertBatch,
  type SalesforceUpsertPlan,
  salesforceUpsertBatches,
} from './salesforce-upsert.builder';
export { classifySalesforceResponse } from './salesforce-response.classifier';
export { type SforceApiUsage, parseSforceLimitInfo } from './sforce-limit-info.parser';
export {
  HUBSPOT_CONTACTS_UPSERT_PATH,
  HUBSPOT_MAX_INPUTS,
  type HubSpotUpsertBatch,
  type HubSpotUpsertInput,
  type HubSpotUpsertPlan,
  hubspotUpsertBatches,
} from './hubspot-upsert.builder';
export { type HubSpotClock, classifyHubSpotResponse } from './hubspot-response.classifier';
export {
  type HubSpotRateBudget,
  type RateWindow,
  parseHubSpotRateLimits,
} from './hubspot-rate-limit.parser';
export { nextMidnight } from './time-zone';

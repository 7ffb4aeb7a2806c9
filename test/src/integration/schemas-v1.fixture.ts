/**
 * Schemas as released before issue 11 (commit f2eeadf), to prove that records written then are
 * still read by the code of today. Docs are left out: they take no part in schema resolution.
 * Never edit these to follow a schema change: they are the old writers.
 */
export const NORMALIZED_LEAD_V1 = {
  type: 'record',
  name: 'NormalizedLead',
  namespace: 'io.leadrouter',
  fields: [
    { name: 'lead_id', type: 'string' },
    { name: 'source', type: 'string' },
    { name: 'source_lead_id', type: ['null', 'string'], default: null },
    { name: 'channel', type: 'string', default: 'kafka' },
    { name: 'received_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'normalized_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'phone', type: ['null', 'string'], default: null },
    { name: 'phone_country', type: ['null', 'string'], default: null },
    { name: 'first_name', type: ['null', 'string'], default: null },
    { name: 'last_name', type: ['null', 'string'], default: null },
    { name: 'company', type: ['null', 'string'], default: null },
    { name: 'website', type: ['null', 'string'], default: null },
    { name: 'country', type: ['null', 'string'], default: null },
    { name: 'job_title', type: ['null', 'string'], default: null },
    { name: 'message', type: ['null', 'string'], default: null },
    { name: 'attributes', type: { type: 'map', values: 'string' }, default: {} },
    { name: 'issues', type: { type: 'array', items: 'string' }, default: [] },
  ],
} as const;

/** EnrichedLead v1, with NormalizedLead v1 inside it as the registry stored it. */
export const ENRICHED_LEAD_V1 = {
  type: 'record',
  name: 'EnrichedLead',
  namespace: 'io.leadrouter',
  fields: [
    {
      name: 'lead',
      type: {
        type: 'record',
        name: 'NormalizedLead',
        namespace: 'io.leadrouter',
        fields: [
          { name: 'lead_id', type: 'string' },
          { name: 'source', type: 'string' },
          { name: 'source_lead_id', type: ['null', 'string'], default: null },
          { name: 'channel', type: 'string', default: 'kafka' },
          { name: 'received_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
          { name: 'normalized_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
          { name: 'email', type: ['null', 'string'], default: null },
          { name: 'phone', type: ['null', 'string'], default: null },
          { name: 'phone_country', type: ['null', 'string'], default: null },
          { name: 'first_name', type: ['null', 'string'], default: null },
          { name: 'last_name', type: ['null', 'string'], default: null },
          { name: 'company', type: ['null', 'string'], default: null },
          { name: 'website', type: ['null', 'string'], default: null },
          { name: 'country', type: ['null', 'string'], default: null },
          { name: 'job_title', type: ['null', 'string'], default: null },
          { name: 'message', type: ['null', 'string'], default: null },
          { name: 'attributes', type: { type: 'map', values: 'string' }, default: {} },
          { name: 'issues', type: { type: 'array', items: 'string' }, default: [] },
        ],
      },
    },
    {
      name: 'enrichment',
      type: {
        type: 'record',
        name: 'Enrichment',
        fields: [
          { name: 'email_domain', type: ['null', 'string'], default: null },
          { name: 'company_domain', type: ['null', 'string'], default: null },
          { name: 'free_mail', type: 'boolean', default: false },
          { name: 'enriched_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
        ],
      },
    },
  ],
} as const;

/** RawLead v1, before `client_ip`: what a producer built against that release writes. */
export const RAW_LEAD_V1 = {
  type: 'record',
  name: 'RawLead',
  namespace: 'io.leadrouter',
  fields: [
    { name: 'lead_id', type: 'string' },
    { name: 'source', type: 'string' },
    { name: 'source_lead_id', type: ['null', 'string'], default: null },
    { name: 'channel', type: 'string', default: 'kafka' },
    { name: 'received_at', type: { type: 'long', logicalType: 'timestamp-millis' } },
    { name: 'email', type: ['null', 'string'], default: null },
    { name: 'phone', type: ['null', 'string'], default: null },
    { name: 'first_name', type: ['null', 'string'], default: null },
    { name: 'last_name', type: ['null', 'string'], default: null },
    { name: 'company', type: ['null', 'string'], default: null },
    { name: 'website', type: ['null', 'string'], default: null },
    { name: 'country', type: ['null', 'string'], default: null },
    { name: 'job_title', type: ['null', 'string'], default: null },
    { name: 'message', type: ['null', 'string'], default: null },
    { name: 'attributes', type: { type: 'map', values: 'string' }, default: {} },
  ],
} as const;

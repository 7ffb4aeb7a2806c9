import { z } from 'zod';
import { scalarPathPattern } from './lead-paths';

const SCALAR_PATH = scalarPathPattern();

/** A path to one scalar value of a routed lead, e.g. `lead.email` or `lead.attributes.utm_source`. */
export const leadPathSchema = z.string().regex(SCALAR_PATH, {
  error:
    'expected a field of the routed lead: lead.<field>, lead.attributes.<name>, enrichment.<field> or decision.<field>, e.g. lead.email (docs/destinations.md, Field mapping)',
});

/**
 * Where one CRM field's value comes from: a path (the short form is the path alone), optionally
 * with a `default` for leads without that value and a `max_length` the text is cut to; or a
 * constant `value`.
 */
export const fieldSourceSchema = z.union([
  leadPathSchema,
  z.strictObject({
    path: leadPathSchema,
    default: z.union([z.string(), z.number(), z.boolean()]).optional(),
    max_length: z.int().positive().optional(),
  }),
  z.strictObject({ value: z.union([z.string(), z.number(), z.boolean()]) }),
]);

export type FieldSource = z.output<typeof fieldSourceSchema>;

const SALESFORCE_NAME = /^[A-Za-z][A-Za-z0-9_]*$/;
const salesforceName = z.string().regex(SALESFORCE_NAME, {
  error: 'expected a Salesforce API name such as Company or UTM_Source__c',
});

/**
 * Standard Lead fields with their lengths (Salesforce Object Reference, Lead). LastName and Company
 * are required on Lead, so a lead without them still lands, marked as such. Email, Phone and
 * Website are never cut: a shortened address is a wrong address, better refused than stored.
 */
export const SALESFORCE_LEAD_DEFAULT_FIELDS: Readonly<Record<string, FieldSource>> = {
  FirstName: { path: 'lead.first_name', max_length: 40 },
  LastName: { path: 'lead.last_name', default: '[not provided]', max_length: 80 },
  Company: { path: 'lead.company', default: '[not provided]', max_length: 255 },
  Email: 'lead.email',
  Phone: 'lead.phone',
  Title: { path: 'lead.job_title', max_length: 128 },
  Website: 'lead.website',
  Description: { path: 'lead.message', max_length: 32000 },
};

/** Fields the sink fills itself: a mapping that names them is refused. */
const SALESFORCE_RESERVED = ['Id', 'OwnerId', 'attributes'];

export const salesforceMappingSchema = z
  .strictObject({
    /** The sObject the leads become; every record of a request is of this type. */
    sobject: salesforceName.default('Lead'),
    /** An External ID field on the sObject; it holds the lead id, so a replay updates. */
    external_id_field: salesforceName.default('Lead_Router_Id__c'),
    /** sObject Collections upsert exists from API v46.0. */
    api_version: z
      .string()
      .regex(/^\d{2,3}\.0$/, { error: 'expected an API version such as 62.0' })
      .refine((v) => Number(v) >= 46, { error: 'sObject Collections upsert needs API v46.0+' })
      .default('62.0'),
    /** Salesforce field → where its value comes from. */
    fields: z
      .record(salesforceName, fieldSourceSchema)
      .default(() => ({ ...SALESFORCE_LEAD_DEFAULT_FIELDS })),
  })
  .superRefine((m, ctx) => {
    for (const name of Object.keys(m.fields)) {
      if (SALESFORCE_RESERVED.includes(name) || name === m.external_id_field) {
        ctx.addIssue({
          code: 'custom',
          path: ['fields', name],
          message: `${name} is filled by the sink (OwnerId from the routing decision, the external id from the lead id, never Id)`,
        });
      }
    }
  });

export type SalesforceMapping = z.output<typeof salesforceMappingSchema>;
export type SalesforceMappingInput = z.input<typeof salesforceMappingSchema>;

const hubspotName = z.string().regex(/^[a-z][a-z0-9_]*$/, {
  error: 'expected a HubSpot property internal name such as email or utm_source',
});

/** Default contact properties (HubSpot's internal names). */
export const HUBSPOT_CONTACT_DEFAULT_FIELDS: Readonly<Record<string, FieldSource>> = {
  email: 'lead.email',
  firstname: 'lead.first_name',
  lastname: 'lead.last_name',
  company: 'lead.company',
  phone: 'lead.phone',
  jobtitle: 'lead.job_title',
  website: 'lead.website',
  country: 'lead.country',
};

export const hubspotMappingSchema = z
  .strictObject({
    /** The unique property contacts are matched on; its mapped value is each input's `id`. */
    id_property: hubspotName.default('email'),
    /** HubSpot property → where its value comes from. */
    fields: z
      .record(hubspotName, fieldSourceSchema)
      .default(() => ({ ...HUBSPOT_CONTACT_DEFAULT_FIELDS })),
  })
  .superRefine((m, ctx) => {
    if (!(m.id_property in m.fields)) {
      ctx.addIssue({
        code: 'custom',
        path: ['fields'],
        message: `the id property ${m.id_property} must be mapped: its value is what contacts are matched on`,
      });
    }
    if ('hubspot_owner_id' in m.fields) {
      ctx.addIssue({
        code: 'custom',
        path: ['fields', 'hubspot_owner_id'],
        message: 'hubspot_owner_id is filled by the sink from the routing decision',
      });
    }
  });

export type HubSpotMapping = z.output<typeof hubspotMappingSchema>;
export type HubSpotMappingInput = z.input<typeof hubspotMappingSchema>;

export const DEFAULT_SALESFORCE_MAPPING: SalesforceMapping = salesforceMappingSchema.parse({});
export const DEFAULT_HUBSPOT_MAPPING: HubSpotMapping = hubspotMappingSchema.parse({});

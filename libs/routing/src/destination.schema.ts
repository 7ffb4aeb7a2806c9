import {
  HUBSPOT_MAX_INPUTS,
  type HubSpotMapping,
  hubspotMappingSchema,
  SALESFORCE_MAX_RECORDS,
  type SalesforceMapping,
  salesforceMappingSchema,
} from '@lead-router/crm';
import type { DestinationType } from '@lead-router/schemas';
import { z } from 'zod';
import { duration, isTimeZone, name } from './schema.primitives';

/**
 * The rule for a schema or table name spliced into SQL: the same as `SQL_IDENTIFIER` in
 * @lead-router/config, which routing (a domain lib) cannot import.
 */
export const SQL_IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;
/** A leads table leaves room for its `<table>_migrations_lock` table in PostgreSQL's 63 bytes. */
export const MAX_LEADS_TABLE_LENGTH = 63 - '_migrations_lock'.length;

export const LITERAL_CREDENTIAL_MESSAGE =
  'a credential never goes in a rule set: give its reference instead, { env: VARIABLE } or { file: /path/to/file }, and put the value in that variable or file';
const CREDENTIAL_SHAPE_MESSAGE =
  'expected a credential reference: { env: VARIABLE } or { file: /path/to/file }';

/** Where a secret is kept: an environment variable of the sink, or a file mounted into it. */
export const credentialRefSchema = z.union(
  [
    z.strictObject({
      env: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, {
        error: 'expected an environment variable name such as HUBSPOT_TOKEN',
      }),
    }),
    z.strictObject({
      file: z.string().regex(/^\/[^\0]*[^/]$/, {
        error: 'expected the absolute path of a file, such as /run/secrets/hubspot-token',
      }),
    }),
  ],
  {
    error: (issue) =>
      typeof issue.input === 'object' && issue.input !== null
        ? CREDENTIAL_SHAPE_MESSAGE
        : LITERAL_CREDENTIAL_MESSAGE,
  },
);
export type CredentialRef = z.output<typeof credentialRefSchema>;

/** The keys whose value is a credential reference; the parser reports their errors as such. */
export const CREDENTIAL_KEYS = [
  'secret',
  'token',
  'client_id',
  'client_secret',
  'private_key',
] as const;

const baseUrl = z.url({
  protocol: /^https?$/,
  error: 'expected an http or https URL such as https://api.hubapi.com',
});

/**
 * A request budget: at most `requests` per `per_seconds`, and optionally `daily` per day and
 * `concurrency` in flight, across every instance of the sink.
 */
export const budgetSchema = z.strictObject({
  requests: z.int().min(1),
  per_seconds: z.int().min(1).max(86_400),
  daily: z.int().min(1).optional(),
  concurrency: z.int().min(1).max(1_000).optional(),
});
export type Budget = z.output<typeof budgetSchema>;

/**
 * The budgets a destination gets when its configuration names none, from the vendors' published
 * limits (crm-contracts.md). HubSpot: 100 requests per 10 s and 250,000 a day, the Free and
 * Starter private-app limits, so the default never exceeds any tier's. Salesforce publishes no
 * per-second limit: the smallest 24-hour allocation as a rolling window, and at most 25 requests
 * in flight, its limit on concurrent long (20 s+) requests.
 */
export const VENDOR_BUDGETS = {
  salesforce: { requests: 100_000, per_seconds: 86_400, concurrency: 25 },
  hubspot: { requests: 100, per_seconds: 10, daily: 250_000 },
} as const satisfies Record<string, Budget>;

export const DEFAULT_RETRY_DELAYS = ['10s', '1m', '10m', '1h'] as const;

/** The delays between attempts; a lead still failing after the last is dead-lettered (or falls back). */
export const retrySchema = z.strictObject({
  delays: z
    .array(duration)
    .min(1)
    .max(10)
    .default(() => [...DEFAULT_RETRY_DELAYS]),
});

export const breakerSchema = z.strictObject({
  /** Consecutive failed requests that open the circuit. */
  failures: z.int().min(1).max(1_000).default(5),
  /** How long an open circuit waits before one probe request. */
  half_open_after: duration.default('30s'),
  /** How long the circuit stays open before the destination's leads go to its `fallback`. */
  fallback_after: duration.default('5m'),
});

/** The most leads one request (or statement) carries, by type. */
export const MAX_BATCH_SIZE: Readonly<Record<DestinationType, number>> = {
  webhook: 1,
  salesforce: SALESFORCE_MAX_RECORDS,
  hubspot: HUBSPOT_MAX_INPUTS,
  postgres: 1_000,
};
const BATCH_LIMIT_WHY: Readonly<Record<DestinationType, string>> = {
  webhook: 'a webhook destination posts one lead per request',
  salesforce: 'sObject Collections take at most 200 records per request',
  hubspot: 'HubSpot batch upsert takes at most 100 inputs per request',
  postgres: 'one INSERT writes at most 1000 rows, within PostgreSQL’s 65,535 parameters',
};

function common(type: DestinationType) {
  const max = MAX_BATCH_SIZE[type];
  return {
    /** Another destination that takes this one's leads when it stays down. */
    fallback: name.optional(),
    budget: budgetSchema.optional(),
    retry: retrySchema.prefault({}),
    batch: z
      .strictObject({
        max_size: z
          .int()
          .min(1)
          .max(max, { error: `at most ${max}: ${BATCH_LIMIT_WHY[type]}` })
          .default(max),
      })
      .prefault({}),
    breaker: breakerSchema.prefault({}),
  };
}

export const webhookDestinationSchema = z.strictObject({
  type: z.literal('webhook'),
  url: z.url({
    protocol: /^https?$/,
    error: (issue) =>
      issue.input === undefined
        ? 'a webhook destination needs a url'
        : 'expected an http or https URL',
  }),
  /** The Standard Webhooks signing secret (`whsec_…`). */
  secret: credentialRefSchema.default({ env: 'WEBHOOK_SECRET' }),
  /** How long one request may take; absent, the sink's WEBHOOK_TIMEOUT_MS. */
  timeout: duration.optional(),
  /** Lets the url resolve to a loopback, private or link-local address (a local inbox). */
  allow_private: z.boolean().default(false),
  ...common('webhook'),
});

export const salesforceAuthSchema = z.discriminatedUnion(
  'flow',
  [
    z.strictObject({
      flow: z.literal('client_credentials'),
      client_id: credentialRefSchema,
      client_secret: credentialRefSchema,
    }),
    z.strictObject({
      flow: z.literal('jwt_bearer'),
      client_id: credentialRefSchema,
      /** The user the token is issued for: the JWT's `sub`. */
      username: z.string().min(1),
      /** The PEM private key whose certificate is on the app; it signs the JWT (RS256). */
      private_key: credentialRefSchema,
    }),
  ],
  { error: 'expected flow: client_credentials or jwt_bearer' },
);
export type SalesforceAuth = z.output<typeof salesforceAuthSchema>;

export const DEFAULT_SALESFORCE_AUTH: SalesforceAuth = {
  flow: 'client_credentials',
  client_id: { env: 'SALESFORCE_CLIENT_ID' },
  client_secret: { env: 'SALESFORCE_CLIENT_SECRET' },
};

function mappingIssues<D>(check: z.ZodType, mappingOf: (d: D) => unknown) {
  return (d: D, ctx: z.RefinementCtx<D>) => {
    const checked = check.safeParse(mappingOf(d));
    if (checked.success) return;
    // Every other key is checked by the destination's own schema; what is left is the mapping's
    // cross-field rules (reserved fields, the id property mapped).
    for (const issue of checked.error.issues) {
      if (issue.code !== 'custom' || issue.path[0] !== 'fields') continue;
      const [, ...rest] = issue.path;
      ctx.addIssue({
        code: 'custom',
        message: issue.message,
        path: ['mapping', ...rest],
      });
    }
  };
}

/** The mapping libs/crm's Salesforce upsert builder takes, from a destination's keys. */
export function salesforceMapping(d: {
  sobject: string;
  external_id_field: string;
  api_version: string;
  mapping: SalesforceMapping['fields'];
}): SalesforceMapping {
  return {
    sobject: d.sobject,
    external_id_field: d.external_id_field,
    api_version: d.api_version,
    fields: d.mapping,
  };
}

/** The mapping libs/crm's HubSpot upsert builder takes, from a destination's keys. */
export function hubspotMapping(d: {
  id_property: string;
  mapping: HubSpotMapping['fields'];
}): HubSpotMapping {
  return { id_property: d.id_property, fields: d.mapping };
}

const salesforceKeys = salesforceMappingSchema.shape;
export const salesforceDestinationSchema = z
  .strictObject({
    type: z.literal('salesforce'),
    /** Where tokens are minted: login.salesforce.com, test.salesforce.com, a My Domain, a fake. */
    login_url: baseUrl.default('https://login.salesforce.com'),
    /** Where the API is called; absent, the `instance_url` of the token response. */
    instance_url: baseUrl.optional(),
    auth: salesforceAuthSchema.default(DEFAULT_SALESFORCE_AUTH),
    api_version: salesforceKeys.api_version,
    sobject: salesforceKeys.sobject,
    external_id_field: salesforceKeys.external_id_field,
    /** Salesforce field → where its value comes from (libs/crm's field sources). */
    mapping: salesforceKeys.fields,
    ...common('salesforce'),
  })
  .superRefine(mappingIssues(salesforceMappingSchema, salesforceMapping))
  .transform((d) => ({ ...d, budget: { ...VENDOR_BUDGETS.salesforce, ...d.budget } }));

const hubspotKeys = hubspotMappingSchema.shape;
export const hubspotDestinationSchema = z
  .strictObject({
    type: z.literal('hubspot'),
    base_url: baseUrl.default('https://api.hubapi.com'),
    /** A private-app access token. */
    token: credentialRefSchema.default({ env: 'HUBSPOT_TOKEN' }),
    id_property: hubspotKeys.id_property,
    /** The HubSpot account's time zone: its daily limit resets at midnight there. */
    account_time_zone: z
      .string()
      .refine(isTimeZone, { error: 'expected an IANA time zone such as Europe/Berlin' })
      .default('UTC'),
    /** HubSpot property → where its value comes from (libs/crm's field sources). */
    mapping: hubspotKeys.fields,
    ...common('hubspot'),
  })
  .superRefine(mappingIssues(hubspotMappingSchema, hubspotMapping))
  .transform((d) => ({ ...d, budget: { ...VENDOR_BUDGETS.hubspot, ...d.budget } }));

const sqlIdentifier = z.string().regex(SQL_IDENTIFIER, {
  error: 'expected a lower-case SQL identifier (a-z, 0-9, _, not starting with a digit)',
});

export const postgresDestinationSchema = z.strictObject({
  type: z.literal('postgres'),
  /** Absent, the sink's PG_DESTINATION_TABLES entry for this destination, else PG_SCHEMA. */
  schema: sqlIdentifier.optional(),
  /** Absent, the sink's PG_DESTINATION_TABLES entry for this destination, else PG_TABLE. */
  table: sqlIdentifier
    .max(MAX_LEADS_TABLE_LENGTH, {
      error: `at most ${MAX_LEADS_TABLE_LENGTH} characters, leaving room for the <table>_migrations_lock table`,
    })
    .optional(),
  /** Ignored: accepted so rule sets written before destinations had keys stay valid. */
  url: z.url({ protocol: /^https?$/ }).optional(),
  ...common('postgres'),
});

export const destinationSchema = z.discriminatedUnion(
  'type',
  [
    webhookDestinationSchema,
    salesforceDestinationSchema,
    hubspotDestinationSchema,
    postgresDestinationSchema,
  ],
  { error: 'expected a destination type: webhook, salesforce, hubspot or postgres' },
);

export type WebhookDestination = z.output<typeof webhookDestinationSchema>;
export type SalesforceDestination = z.output<typeof salesforceDestinationSchema>;
export type HubSpotDestination = z.output<typeof hubspotDestinationSchema>;
export type PostgresDestination = z.output<typeof postgresDestinationSchema>;
export type RuleSetDestination = z.output<typeof destinationSchema>;
/** A destination of one type, e.g. `DestinationOf<'hubspot'>`. */
export type DestinationOf<T extends DestinationType> = Extract<RuleSetDestination, { type: T }>;

import { err, ok, type Result } from '@lead-router/errors';
import { parse } from 'yaml';
import { z } from 'zod';
import { type FieldMapping, mergeMappings } from './field.mapping';
import { PLATFORM_DEFAULT_FIELDS } from './platform.defaults';

/** Where a secret is kept: an environment variable or a mounted file, never the value itself. */
export type SecretRef = { readonly env: string } | { readonly file: string };

const secretRef = z.union([
  z.object({ env: z.string().min(1) }).strict(),
  z.object({ file: z.string().min(1) }).strict(),
]);

/** Requests a source may make to ingest per window, per key (the source, or the API key). */
const rateLimit = z
  .object({
    max: z.number().int().min(1),
    window_seconds: z.number().int().min(1).default(60),
  })
  .strict();

/** Calls source-fetcher may make to a platform's API per window, across all its instances. */
const fetchBudget = z
  .object({
    requests: z.number().int().min(1),
    per_seconds: z.number().int().min(1),
  })
  .strict();

const name = z.string().regex(/^[A-Za-z0-9._-]{1,64}$/, 'letters, digits, ".", "_" or "-"');
const fields = z.record(z.string().min(1), z.string().regex(/^[A-Za-z0-9_]{1,100}$/)).default({});
const url = z.url({ protocol: /^https?$/ });

const metaSource = z
  .object({
    platform: z.literal('meta'),
    app_secret: secretRef,
    verify_token: secretRef,
    access_token: secretRef,
    graph_url: url.default('https://graph.facebook.com'),
    graph_version: z
      .string()
      .regex(/^v\d+\.\d+$/)
      .default('v21.0'),
    fetch_budget: fetchBudget.default({ requests: 200, per_seconds: 3600 }),
    rate_limit: rateLimit.optional(),
    fields,
  })
  .strict();

const googleSource = z
  .object({
    platform: z.literal('google'),
    google_key: secretRef,
    rate_limit: rateLimit.optional(),
    fields,
  })
  .strict();

const linkedinSource = z
  .object({
    platform: z.literal('linkedin'),
    client_secret: secretRef,
    access_token: secretRef,
    api_url: url.default('https://api.linkedin.com'),
    api_version: z
      .string()
      .regex(/^\d{6}$/)
      .default('202601'),
    fetch_budget: fetchBudget.default({ requests: 100, per_seconds: 60 }),
    rate_limit: rateLimit.optional(),
    fields,
  })
  .strict();

const sourceSchema = z.discriminatedUnion('platform', [metaSource, googleSource, linkedinSource]);
const fileSchema = z.object({ sources: z.record(name, sourceSchema).default({}) }).strict();

type Parsed = z.output<typeof sourceSchema>;

/** One configured ad-platform source, its field mapping merged over the platform's defaults. */
export type AdSource = Parsed extends infer P
  ? P extends Parsed
    ? Omit<P, 'fields'> & { name: string; fields: FieldMapping }
    : never
  : never;
export type MetaSource = Extract<AdSource, { platform: 'meta' }>;
export type GoogleSource = Extract<AdSource, { platform: 'google' }>;
export type LinkedInSource = Extract<AdSource, { platform: 'linkedin' }>;
export type AdPlatform = AdSource['platform'];

/**
 * The ad-platform sources of a sources file (YAML): each by its name, its platform, references
 * to its secrets, its platform's base URL, its limits and its own field mapping. Every problem
 * is reported at once, as `<path>: <message>`.
 */
export function parseSourcesConfig(text: string): Result<ReadonlyMap<string, AdSource>, string[]> {
  let document: unknown;
  try {
    document = parse(text) ?? {};
  } catch (e) {
    return err([`not YAML: ${(e as Error).message}`]);
  }
  const parsed = fileSchema.safeParse(document);
  if (!parsed.success) {
    return err(parsed.error.issues.map((i) => `${i.path.join('.') || '(root)'}: ${i.message}`));
  }
  const sources = new Map<string, AdSource>();
  for (const [sourceName, source] of Object.entries(parsed.data.sources)) {
    sources.set(sourceName, {
      ...source,
      name: sourceName,
      fields: mergeMappings(PLATFORM_DEFAULT_FIELDS[source.platform], source.fields),
    } as AdSource);
  }
  return ok(sources);
}

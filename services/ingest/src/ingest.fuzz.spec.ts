import 'reflect-metadata';
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import {
  createIngestMetrics,
  createLogger,
  createRegistry,
  createStageMetrics,
} from '@lead-router/observability';
import { allSchemas, type RawLead, type SourceLeadReference } from '@lead-router/schemas';
import { LOGGER, METRICS_REGISTRY, STAGE_METRICS } from '@lead-router/service-kit';
import {
  googleLeadWebhook,
  linkedinLeadNotification,
  metaLeadgenNotification,
} from '@lead-router/testing';
import { Type } from 'avsc';
import fc from 'fast-check';
import { ApiKeyGuard } from './api-key.guard';
import { registerCsvBodyParser } from './csv-body.parser';
import { CsvLeadImporter } from './csv-lead.importer';
import { HttpExceptionFilter } from './http-exception.filter';
import { ImportReportStore } from './import-report.store';
import { INGEST_CONFIG, loadIngestConfig } from './ingest.config';
import { LeadPublisher } from './lead.publisher';
import { LeadsController } from './leads.controller';
import { LeadsImportController } from './leads-import.controller';
import { registerRateLimits } from './rate-limit';
import { INGEST_METRICS } from './sources/ingest-metrics.provider';
import { ReferencePublisher } from './sources/reference.publisher';
import { SourcesController } from './sources/sources.controller';
import { DEMO_MODE_ENV } from '@lead-router/config';

const BODY_LIMIT = 16_384;
const SOURCES = `
sources:
  fb:
    platform: meta
    app_secret: { env: FB_SECRET }
    verify_token: { env: FB_VERIFY }
    access_token: { env: FB_TOKEN }
  gads:
    platform: google
    google_key: { env: GADS_KEY }
  li:
    platform: linkedin
    client_secret: { env: LI_SECRET }
    access_token: { env: LI_TOKEN }
`;
const SECRETS = {
  FB_SECRET: 'fb-app-secret',
  FB_VERIFY: 'fb-verify',
  GADS_KEY: 'gads-key',
  LI_SECRET: 'li-secret',
};
const hmac = (secret: string, body: string | Buffer) =>
  createHmac('sha256', secret).update(body).digest('hex');

/** Each property's runs: enough to find the 500 of issue 13 in a few seconds on 2 cores. */
const RUNS = { numRuns: 300, timeout: 5_000 } as const;

interface Answer {
  status: number;
  body: string;
}

/**
 * Ingest's contract with any caller, whatever it sends: an acceptance (202, or 200 where the
 * route answers 200) or a 4xx whose JSON body says why. A 5xx means ingest failed, not the caller.
 */
function assertAnswered(res: Answer): void {
  if (res.status === 200 || res.status === 202) return;
  assert.ok(res.status >= 400 && res.status < 500, `answered ${res.status}: ${res.body}`);
  const body = JSON.parse(res.body) as { error?: { code?: unknown; message?: unknown } };
  assert.equal(typeof body.error?.code, 'string', res.body);
  assert.ok(typeof body.error?.message === 'string' && body.error.message !== '', res.body);
}

/**
 * One character of any kind, with the awkward ones made common: a lone UTF-16 surrogate (valid in
 * JSON, not in UTF-8), NUL, BOM, line separators, a noncharacter. Among all code points they are
 * rare enough that 'binary' alone would seldom produce them.
 */
const anyChar = fc.oneof(
  { weight: 8, arbitrary: fc.string({ unit: 'binary', minLength: 1, maxLength: 1 }) },
  {
    weight: 1,
    arbitrary: fc.constantFrom(
      '\ud800',
      '\udbff',
      '\udc00',
      '\udfff',
      '\0',
      '\ufeff',
      '\u2028',
      '\uffff',
    ),
  },
);
const text = (maxLength: number) => fc.string({ unit: anyChar, maxLength });

/** Any JSON text, with strings of any UTF-16 code units (lone surrogates included). */
const anyJson = fc.jsonValue({ maxDepth: 5, stringUnit: anyChar });

/** A value of the wrong (or right) type for any field. */
const anyValue = fc.oneof(
  anyJson,
  text(300),
  fc.integer(),
  fc.double(),
  fc.constantFrom(Number.MAX_VALUE, -0, 2 ** 53 + 1, '', ' ', null, true, [], {}),
);

/** Nested `depth` times in arrays or objects: far deeper than any lead. */
const deep = fc
  .tuple(fc.integer({ min: 100, max: 3_000 }), fc.boolean())
  .map(([depth, arrays]) =>
    arrays
      ? '['.repeat(depth) + ']'.repeat(depth)
      : '{"a":'.repeat(depth) + '1' + '}'.repeat(depth),
  );

/** A lead with every known field either plausible or of a random type, plus unknown fields. */
const KNOWN = [
  'email',
  'phone',
  'first_name',
  'last_name',
  'company',
  'website',
  'country',
  'job_title',
  'message',
  'source_lead_id',
] as const;
/**
 * Mostly text of any code units within the field's bounds, so that many leads pass validation
 * and reach the lead id and the Avro encoding; sometimes a value of another type.
 */
const fieldValue = fc.oneof({ weight: 3, arbitrary: text(60) }, { weight: 1, arbitrary: anyValue });
const leadLike = fc
  .tuple(
    fc.record(
      Object.fromEntries(KNOWN.map((k) => [k, fieldValue])) as Record<string, typeof fieldValue>,
      { requiredKeys: [] },
    ),
    fc.dictionary(text(120), fieldValue, { maxKeys: 8 }),
    fc.constantFrom('ada@example.com', '+44 20 7946 0958', undefined),
  )
  // The contact goes in last, or a random email would hide most leads behind missing_contact.
  .map(([known, extra, contact]) => ({
    ...extra,
    ...known,
    ...(contact?.startsWith('+') ? { phone: contact } : contact ? { email: contact } : {}),
  }));

/** A string of `size` characters, around the body limit (some fit, some do not). */
const huge = fc
  .tuple(
    fc.integer({ min: BODY_LIMIT - 200, max: BODY_LIMIT * 3 }),
    fc.string({ minLength: 1, maxLength: 3 }),
  )
  .map(([size, unit]) => JSON.stringify({ email: 'ada@example.com', message: unit.repeat(size) }));

const jsonBody = fc.oneof(
  // Texts JSON.stringify never writes: a number past double range, duplicate keys, a BOM.
  fc.constantFrom(
    '{"email":"ada@example.com","phone":1e400}',
    '{"email":"ada@example.com","source_lead_id":-1e-400}',
    '{"email":"ada@example.com","email":{"a":1}}',
    '{"__proto__":{"email":"ada@example.com"},"constructor":{"prototype":{}}}',
    '\ufeff{"email":"ada@example.com"}',
    '{"leads":[{"email":"ada@example.com"}],"leads":null}',
  ),
  anyJson.map((v) => JSON.stringify(v)),
  leadLike.map((v) => JSON.stringify(v)),
  fc.array(leadLike, { maxLength: 5 }).map((v) => JSON.stringify(v)),
  fc
    .record({ leads: fc.array(fc.oneof(leadLike, anyValue), { maxLength: 5 }) })
    .map((v) => JSON.stringify(v)),
  deep,
  huge,
  text(500),
);

/** Form text: raw characters, and escapes that decode to nothing valid (a surrogate's UTF-8). */
const formText = fc
  .array(
    fc.oneof(text(20), fc.constantFrom('%ED%A0%80', '%FF', '%', '%zz', '+', '&', '=', '[]', '%00')),
    { maxLength: 6 },
  )
  .map((parts) => parts.join(''));
const formBody = fc.oneof(
  text(500),
  fc
    .array(fc.tuple(fc.oneof(fc.constantFrom(...KNOWN, '__proto__', 'a[b]'), formText), formText), {
      maxLength: 12,
    })
    .map((pairs) => pairs.map(([k, v]) => `${k}=${v}`).join('&')),
);

/** Header values a client can send: printable ASCII (Node refuses anything else before us). */
const headerText = fc.stringMatching(/^[\x20-\x7e]{0,80}$/);
const contentType = fc.oneof(
  fc.constantFrom(
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=latin1',
    'application/x-www-form-urlencoded',
    'text/csv',
    'text/csv; charset=utf-8',
    'text/plain',
    'multipart/form-data; boundary=x',
    'application/octet-stream',
    'application/vnd.api+json',
    'APPLICATION/JSON',
    '',
  ),
  headerText,
);
const anyBody = fc.oneof(
  jsonBody,
  formBody,
  fc.uint8Array({ maxLength: 2_000 }).map((bytes) => Buffer.from(bytes)),
);

describe('ingest fuzz: any request is answered 2xx or 4xx with a reason, never 5xx', () => {
  let app: NestFastifyApplication;
  const rawLead = Type.forSchema(allSchemas.RawLead as never);
  const reference = Type.forSchema(allSchemas.SourceLeadReference as never);
  /**
   * Stand-in publishers that encode with the topics' real Avro schemas, as LeadPublisher does:
   * a captured lead that does not fit the schema would make the real one answer 503.
   */
  const encodeAll = (type: Type, values: readonly unknown[]) => {
    for (const value of values) type.toBuffer(value);
    return Promise.resolve();
  };
  const publisher = {
    publish: (lead: RawLead) => encodeAll(rawLead, [lead]),
    publishAll: (leads: readonly RawLead[]) => encodeAll(rawLead, leads),
  };

  before(async () => {
    const { loadAdSources } = await import('./sources/ad-sources.loader');
    const base = loadIngestConfig({
      ...DEMO_MODE_ENV,
      INGEST_API_KEYS: 'key-web:web-form',
      INGEST_BODY_LIMIT_BYTES: String(BODY_LIMIT),
      INGEST_IMPORT_DIR: mkdtempSync(join(tmpdir(), 'ingest-fuzz-spec-')),
    });
    const config = {
      ...base,
      adSources: loadAdSources('/etc/lead-router/sources.yaml', SECRETS, () => SOURCES),
    };
    const logger = createLogger('ingest-fuzz-spec', 'silent');
    const registry = createRegistry('ingest-fuzz-spec');
    @Module({
      controllers: [LeadsController, LeadsImportController, SourcesController],
      providers: [
        { provide: INGEST_CONFIG, useValue: config },
        { provide: LeadPublisher, useValue: publisher },
        {
          provide: ReferencePublisher,
          useValue: {
            publishAll: (refs: readonly SourceLeadReference[]) => encodeAll(reference, refs),
          },
        },
        { provide: LOGGER, useValue: logger },
        { provide: STAGE_METRICS, useValue: createStageMetrics(registry) },
        { provide: INGEST_METRICS, useValue: createIngestMetrics(registry) },
        { provide: METRICS_REGISTRY, useValue: registry },
        ApiKeyGuard,
        ImportReportStore,
        CsvLeadImporter,
      ],
    })
    class SpecModule {}
    // As main.ts assembles it: the body limit, raw bodies for signatures, JSON/form/CSV parsers only.
    app = await NestFactory.create<NestFastifyApplication>(
      SpecModule,
      new FastifyAdapter({ bodyLimit: config.bodyLimit }),
      { logger: false, abortOnError: false, rawBody: true },
    );
    app.useGlobalFilters(new HttpExceptionFilter(logger));
    const fastify = app.getHttpAdapter().getInstance();
    fastify.removeAllContentTypeParsers();
    registerCsvBodyParser(fastify);
    await registerRateLimits(fastify, config);
    await app.init();
    await fastify.ready();
  });
  after(() => app.close());

  const post = async (
    url: string,
    payload: string | Buffer,
    headers: Record<string, string>,
  ): Promise<Answer> => {
    const res = await app
      .getHttpAdapter()
      .getInstance()
      .inject({ method: 'POST', url, payload, headers });
    return { status: res.statusCode, body: res.body };
  };
  const auth = { authorization: 'Bearer key-web' };
  const json = { ...auth, 'content-type': 'application/json' };

  it('POST /v1/leads and /v1/leads/batch: any body, any content type', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('/v1/leads', '/v1/leads/batch'),
        anyBody,
        contentType,
        async (url, body, type) => {
          assertAnswered(await post(url, body, { ...auth, 'content-type': type }));
        },
      ),
      RUNS,
    );
  });

  it('POST /v1/leads: JSON leads with a random value in each known field', async () => {
    await fc.assert(
      fc.asyncProperty(leadLike, fc.option(headerText), async (lead, idempotencyKey) => {
        const headers = idempotencyKey ? { ...json, 'idempotency-key': idempotencyKey } : json;
        assertAnswered(await post('/v1/leads', JSON.stringify(lead), headers));
      }),
      RUNS,
    );
  });

  it('POST /v1/leads: form bodies', async () => {
    await fc.assert(
      fc.asyncProperty(formBody, async (body) => {
        assertAnswered(
          await post('/v1/leads', body, {
            ...auth,
            'content-type': 'application/x-www-form-urlencoded',
          }),
        );
      }),
      RUNS,
    );
  });

  it('a source_lead_id with a lone surrogate is a 400 naming the field (was a 500)', async () => {
    const res = await post(
      '/v1/leads',
      '{"email":"ada@example.com","source_lead_id":"\\ud800"}',
      json,
    );
    assert.equal(res.status, 400);
    assert.deepEqual(JSON.parse(res.body).error.fields, [
      {
        field: 'source_lead_id',
        code: 'invalid_unicode',
        message:
          'source_lead_id: expected well-formed Unicode; it holds a lone UTF-16 surrogate (half of a character such as an emoji)',
      },
    ]);
  });

  /** A valid notification with one value replaced by a random one, or one key dropped. */
  const mutated = <T extends object>(valid: T) =>
    fc.tuple(fc.nat(), fc.oneof(anyValue, fc.constant(undefined))).map(([pick, value]) => {
      const copy = structuredClone(valid) as Record<string, unknown>;
      const paths: { holder: Record<string, unknown>; key: string }[] = [];
      const walk = (node: unknown) => {
        if (typeof node !== 'object' || node === null) return;
        for (const [key, child] of Object.entries(node)) {
          paths.push({ holder: node as Record<string, unknown>, key });
          walk(child);
        }
      };
      walk(copy);
      const at = paths[pick % paths.length]!;
      if (value === undefined) delete at.holder[at.key];
      else at.holder[at.key] = value;
      return copy;
    });

  it('POST /v1/sources/<meta|linkedin>: signed notifications, mutated or random', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(
          fc.record({
            source: fc.constant('fb'),
            body: fc.oneof(mutated(metaLeadgenNotification('4411')), anyJson),
          }),
          fc.record({
            source: fc.constant('li'),
            body: fc.oneof(mutated(linkedinLeadNotification('ab-12')), anyJson),
          }),
        ),
        async ({ source, body }) => {
          const text = JSON.stringify(body);
          const headers: Record<string, string> =
            source === 'fb'
              ? { 'x-hub-signature-256': `sha256=${hmac(SECRETS.FB_SECRET, text)}` }
              : { 'x-li-signature': hmac(SECRETS.LI_SECRET, text) };
          assertAnswered(
            await post(`/v1/sources/${source}`, text, {
              ...headers,
              'content-type': 'application/json',
            }),
          );
        },
      ),
      RUNS,
    );
  });

  it('POST /v1/sources/gads: Google lead webhooks with the right key, mutated', async () => {
    await fc.assert(
      fc.asyncProperty(mutated(googleLeadWebhook('g-1', SECRETS.GADS_KEY)), async (body) => {
        const withKey = { ...body, google_key: SECRETS.GADS_KEY };
        assertAnswered(
          await post('/v1/sources/gads', JSON.stringify(withKey), {
            'content-type': 'application/json',
          }),
        );
      }),
      RUNS,
    );
  });

  it('POST /v1/sources/*: any body, any content type, unsigned', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.constantFrom('fb', 'li', 'gads', 'nope'),
        anyBody,
        contentType,
        async (source, body, type) => {
          assertAnswered(await post(`/v1/sources/${source}`, body, { 'content-type': type }));
        },
      ),
      RUNS,
    );
  });

  /** CSV text with random cells (quotes, separators, any Unicode) under a plausible header. */
  const csvText = fc.oneof(
    text(1_000),
    fc
      .tuple(
        fc.array(
          fc.constantFrom('email', 'E-Mail', 'phone', 'source_lead_id', 'Vorname', 'x', '', '"'),
          {
            minLength: 1,
            maxLength: 6,
          },
        ),
        fc.array(fc.array(text(40), { maxLength: 7 }), {
          maxLength: 20,
        }),
        fc.constantFrom(',', ';', '\t'),
        fc.constantFrom('\n', '\r\n', '\r'),
      )
      .map(([header, rows, sep, eol]) => [header, ...rows].map((r) => r.join(sep)).join(eol)),
  );

  it('POST /v1/leads/import: random CSV, random mapping query, some over the limit', async () => {
    await fc.assert(
      fc.asyncProperty(
        fc.oneof(csvText, huge),
        fc.array(fc.tuple(fc.constantFrom('map', 'key_column', 'dry_run', 'x'), headerText), {
          maxLength: 3,
        }),
        async (csv, query) => {
          const search = new URLSearchParams(query).toString();
          assertAnswered(
            await post(`/v1/leads/import${search ? `?${search}` : ''}`, csv, {
              ...auth,
              'content-type': 'text/csv',
            }),
          );
        },
      ),
      RUNS,
    );
  });
});

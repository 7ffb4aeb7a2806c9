import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import { AvroCodec } from '@lead-router/kafka';
import { allSchemas, type EnrichedLead, type NormalizedLead } from '@lead-router/schemas';
import { testStack, uniquePrefix } from '@lead-router/testing';
import { ENRICHED_LEAD_V1, NORMALIZED_LEAD_V1 } from './schemas-v1.fixture';

/** A NormalizedLead as the normalizer wrote it before issue 11. */
const OLD_NORMALIZED_LEAD = {
  lead_id: '6f1f2a8e-3b0c-4d2a-9a51-0c1f9e1d2b3a',
  source: 'web-form',
  source_lead_id: 'F-17',
  channel: 'http',
  received_at: 1_790_000_000_000,
  normalized_at: 1_790_000_000_020,
  email: 'jane@acme.io',
  phone: '+49301234567',
  phone_country: 'DE',
  first_name: 'Jane',
  last_name: 'Doe',
  company: 'Acme',
  website: 'https://acme.io',
  country: 'DE',
  job_title: 'CTO',
  message: null,
  attributes: { utm_source: 'google', employees: '250' },
  issues: [],
};

/** What the fields NormalizedLead gained in issue 11 read as in a record written before. */
const ISSUE_11_DEFAULTS = {
  phone_type: null,
  phone_extension: null,
  subdivision: null,
  company_domain: null,
  company_size: null,
  industry: null,
  utm: {},
  consent: {},
  submitted_at: null,
  quality_flags: [],
  client_ip: null,
};

/**
 * Registers `old` under a fresh subject with BACKWARD compatibility, writes `record` with it in
 * the Confluent wire format, then registers today's schema under the same subject (the registry
 * checks that it can read the old one) and decodes the old bytes with today's reader.
 */
async function readOldRecord<T>(
  schemaName: 'NormalizedLead' | 'EnrichedLead',
  old: object,
  record: object,
): Promise<T> {
  const { registryUrl } = await testStack();
  const codec = AvroCodec.connect(registryUrl);
  const topic = `${uniquePrefix('evolution-read')}leads.${schemaName}`;
  const { id } = await codec.registry.register(
    { type: SchemaType.AVRO, schema: JSON.stringify(old) },
    { subject: `${topic}-value`, compatibility: COMPATIBILITY.BACKWARD },
  );
  const oldBytes = await codec.registry.encode(id, record);
  const currentId = await codec.registerTopic(topic, schemaName);
  assert.notEqual(currentId, id, "today's schema is a new version of the subject");
  return codec.decode<T>(oldBytes, schemaName);
}

describe('schema evolution under BACKWARD compatibility (real registry)', () => {
  it('refuses an incompatible change to RawLead and accepts a compatible one', async () => {
    const { registryUrl } = await testStack();
    const codec = AvroCodec.connect(registryUrl);
    const subject = `${uniquePrefix('evolution')}leads.raw-value`;
    const register = (schema: object) =>
      codec.registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      );
    const v1 = allSchemas.RawLead;
    const first = await register(v1);
    assert.ok(first.id > 0);

    // A new required field: readers on the new schema cannot read old records.
    const incompatible = { ...v1, fields: [...v1.fields, { name: 'score', type: 'int' }] };
    await assert.rejects(register(incompatible), (err: Error) => {
      assert.match(err.message, /incompatible|409|compatib/i);
      return true;
    });

    // A new optional field with a default: old records still read.
    const compatible = {
      ...v1,
      fields: [...v1.fields, { name: 'score', type: ['null', 'int'], default: null }],
    };
    const second = await register(compatible);
    assert.notEqual(second.id, first.id);
  });

  it('reads routed leads written before RoutedLead.fallbacks: the field has a default', async () => {
    const { registryUrl } = await testStack();
    const codec = AvroCodec.connect(registryUrl);
    const subject = `${uniquePrefix('evolution')}leads.routed-value`;
    const register = (schema: object) =>
      codec.registry.register(
        { type: SchemaType.AVRO, schema: JSON.stringify(schema) },
        { subject, compatibility: COMPATIBILITY.BACKWARD },
      );
    const current = allSchemas.RoutedLead;
    const before = { ...current, fields: current.fields.filter((f) => f.name !== 'fallbacks') };
    assert.equal(before.fields.length, current.fields.length - 1, 'the version without it');
    const first = await register(before);
    const second = await register(current);
    assert.notEqual(second.id, first.id);
  });

  it('registers every current schema (what each service does at start)', async () => {
    const { registryUrl } = await testStack();
    const codec = AvroCodec.connect(registryUrl);
    const prefix = uniquePrefix('all');
    for (const name of Object.keys(allSchemas) as (keyof typeof allSchemas)[]) {
      const id = await codec.registerTopic(`${prefix}${name}`, name);
      assert.ok(id > 0, `${name} registered`);
    }
  });

  it('reads a NormalizedLead written before issue 11 with the new fields at their defaults', async () => {
    const lead = await readOldRecord<NormalizedLead>(
      'NormalizedLead',
      NORMALIZED_LEAD_V1,
      OLD_NORMALIZED_LEAD,
    );
    assert.deepEqual({ ...lead }, { ...OLD_NORMALIZED_LEAD, ...ISSUE_11_DEFAULTS });
  });

  it('reads an EnrichedLead written before issue 11, its lead with the new fields at their defaults', async () => {
    const old = {
      lead: OLD_NORMALIZED_LEAD,
      enrichment: {
        email_domain: 'acme.io',
        company_domain: 'acme.io',
        free_mail: false,
        enriched_at: 1_790_000_000_040,
      },
    };
    const enriched = await readOldRecord<EnrichedLead>('EnrichedLead', ENRICHED_LEAD_V1, old);
    assert.deepEqual({ ...enriched.lead }, { ...OLD_NORMALIZED_LEAD, ...ISSUE_11_DEFAULTS });
    // Enrichment's own fields added in issue 11 (steps, firmographics, score, account, duplicates)
    // read as defaults.
    const expected = {
      ...old.enrichment,
      disposable: false,
      role_address: false,
      ip_country: null,
      ip_region: null,
      firmographics: null,
      score: 0,
      score_points: [],
      enrichment_status: {},
      account: null,
      duplicate_of: null,
      duplicate_by: null,
      duplicate_owner: null,
    };
    const actual = enriched.enrichment as unknown as Record<string, unknown>;
    assert.deepEqual(
      Object.fromEntries(Object.keys(expected).map((key) => [key, actual[key]])),
      expected,
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { COMPATIBILITY, SchemaType } from '@kafkajs/confluent-schema-registry';
import { AvroCodec } from '@lead-router/kafka';
import { allSchemas } from '@lead-router/schemas';
import { testStack, uniquePrefix } from '@lead-router/testing';

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

  it('registers every current schema (what each service does at start)', async () => {
    const { registryUrl } = await testStack();
    const codec = AvroCodec.connect(registryUrl);
    const prefix = uniquePrefix('all');
    for (const name of Object.keys(allSchemas) as (keyof typeof allSchemas)[]) {
      const id = await codec.registerTopic(`${prefix}${name}`, name);
      assert.ok(id > 0, `${name} registered`);
    }
  });
});

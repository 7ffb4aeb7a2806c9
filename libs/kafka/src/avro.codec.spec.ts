import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SchemaRegistry } from '@kafkajs/confluent-schema-registry';
import { AvroCodec } from './avro.codec';
import { DecodeError, TransientError } from './errors';

const URL = 'http://registry.test:8081/apis/ccompat/v7';

/** A record in the Confluent wire format with schema id 42, which the codec has not seen. */
function unseenWriterRecord(): Buffer {
  const out = Buffer.alloc(6);
  out.writeUInt8(0, 0);
  out.writeInt32BE(42, 1);
  return out;
}

/** A codec whose registry answers every schema lookup by throwing `error`. */
function codecWhoseLookupFails(error: unknown): AvroCodec {
  const registry = {
    getSchema: () => Promise.reject(error),
  } as unknown as SchemaRegistry;
  return new AvroCodec(registry, URL);
}

describe('AvroCodec.decode with a writer schema it has not seen', () => {
  it('dead-letters the record when the registry says the id does not exist (404)', async () => {
    const sut = codecWhoseLookupFails(
      Object.assign(new Error('Schema not found'), { status: 404 }),
    );
    await assert.rejects(sut.decode(unseenWriterRecord(), 'RawLead'), (err: Error) => {
      assert.ok(err instanceof DecodeError);
      assert.equal((err as DecodeError).retriable, false);
      return true;
    });
  });

  it('retries the record when the registry cannot be reached', async () => {
    // The registry client reports a connection it could not make as a 400 with the socket's error.
    const refused = Object.assign(new Error('Error, status 400: connect ECONNREFUSED'), {
      status: 400,
    });
    for (const error of [refused, new TypeError('fetch failed')]) {
      const sut = codecWhoseLookupFails(error);
      await assert.rejects(sut.decode(unseenWriterRecord(), 'RawLead'), (err: Error) => {
        assert.ok(err instanceof TransientError);
        assert.equal((err as TransientError).retriable, true);
        assert.match(err.message, /schema registry http:\/\/registry\.test\S* unreachable/);
        return true;
      });
    }
  });
});

import assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import type { QueueStateSnapshot } from '@lead-router/schemas';
import { AvroCodec } from './avro.codec';
import { DecodeError, InvalidRecordError } from './errors';

const TOPIC = 't.router.queue-state';

function snapshot(statesJson: string): QueueStateSnapshot {
  return {
    queue_group: 'sales',
    states_json: statesJson,
    input_partition: 2,
    input_offset: 41,
    source_offsets_json: '{"0":7}',
    updated_at: 1_700_000_000_000,
  };
}

/** A registry that answers every registration with schema id 7. */
describe('AvroCodec encode and decode', () => {
  let registry: http.Server;
  let url: string;

  before(async () => {
    registry = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, { 'content-type': 'application/vnd.schemaregistry.v1+json' });
        const body =
          req.method === 'POST'
            ? { id: 7 }
            : req.method === 'GET'
              ? { compatibilityLevel: 'BACKWARD' }
              : { compatibility: 'BACKWARD' };
        res.end(JSON.stringify(body));
      });
    });
    await new Promise<void>((done) => registry.listen(0, '127.0.0.1', done));
    url = `http://127.0.0.1:${(registry.address() as AddressInfo).port}/apis/ccompat/v7`;
  });
  after(() => new Promise((done) => registry.close(done)));

  async function codec(validate?: boolean): Promise<AvroCodec> {
    const sut = AvroCodec.connect(url, validate === undefined ? {} : { validate });
    await sut.registerTopic(TOPIC, 'QueueStateSnapshot');
    return sut;
  }

  it('writes the wire-format header and the same Avro body as avsc, small and large', async () => {
    const sut = await codec();
    // The second body is larger than the first buffer guess, the third fits the learned size.
    for (const states of ['{}', 'x'.repeat(5_000), 'y'.repeat(4_000)]) {
      const value = snapshot(states);
      const bytes = sut.encode(TOPIC, value);
      assert.equal(bytes.readUInt8(0), 0);
      assert.equal(bytes.readInt32BE(1), 7);
      assert.deepEqual(
        bytes.subarray(5),
        (sut as unknown as { readerFor(n: string): { toBuffer(v: unknown): Buffer } })
          .readerFor('QueueStateSnapshot')
          .toBuffer(value),
      );
      assert.deepEqual(
        { ...(await sut.decode<QueueStateSnapshot>(bytes, 'QueueStateSnapshot')) },
        value,
      );
    }
  });

  it('decodes synchronously what it decodes asynchronously once the writer is known', async () => {
    const sut = await codec();
    const bytes = sut.encode(TOPIC, snapshot('{"alice":{}}'));
    assert.equal(sut.canDecodeSync(bytes), true);
    assert.deepEqual(
      sut.decodeSync(bytes, 'QueueStateSnapshot'),
      await sut.decode(bytes, 'QueueStateSnapshot'),
    );
    const unseen = Buffer.from(bytes);
    unseen.writeInt32BE(42, 1);
    assert.equal(sut.canDecodeSync(unseen), false);
    assert.throws(() => sut.decodeSync(unseen, 'QueueStateSnapshot'), DecodeError);
    // Bytes that are not wire-format Avro need no registry to be refused.
    assert.equal(sut.canDecodeSync(Buffer.from('{}')), true);
    assert.throws(() => sut.decodeSync(Buffer.from('{}'), 'QueueStateSnapshot'), DecodeError);
  });

  it('names the bad field of a value avsc cannot write, validating or not', async () => {
    const bad = { ...snapshot('{}'), states_json: undefined } as unknown;
    for (const validate of [true, false]) {
      const sut = await codec(validate);
      assert.throws(
        () => sut.encode(TOPIC, bad),
        (err: Error) => {
          assert.ok(err instanceof InvalidRecordError, `validate ${validate}`);
          assert.match(err.message, /at: states_json/);
          return true;
        },
      );
    }
  });

  it('refuses a value avsc would write wrongly when it validates, which is the default', async () => {
    const wrong = { ...snapshot('{}'), input_partition: 2.5 } as unknown;
    const sut = await codec();
    assert.throws(
      () => sut.encode(TOPIC, wrong),
      (err: Error) => err instanceof InvalidRecordError && /at: input_partition/.test(err.message),
    );
  });
});

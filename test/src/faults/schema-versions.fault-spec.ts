import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { AvroCodec, BatchingProducer } from '@lead-router/kafka';
import { valueSubject, type RoutedLead } from '@lead-router/schemas';
import { readRaw, readTopic, testStack, uniquePrefix, waitFor } from '@lead-router/testing';
import { startPipeline, type Pipeline } from '../e2e/pipeline.fixture';
import { RAW_LEAD_V1 } from '../integration/schemas-v1.fixture';
import { recordFault } from './fault-summary';
import { RAW_LEAD_NEXT, deadLetters, produceRawLeads, routedTwice } from './fault-leads';

const PER_PRODUCER = 200;

/**
 * Two producers write leads.raw at once while the pipeline runs, one with RawLead as registered
 * before issue 11 (version 1 of the subject, registered before the services registered today's),
 * one with a newer compatible version (version 3): every lead of both is normalized, enriched and
 * routed, none dead-lettered.
 */
describe('fault: producers on an older and a newer RawLead version at once', () => {
  const prefix = uniquePrefix('fault-schemas');
  const subject = valueSubject(`${prefix}leads.raw`);
  let codec: AvroCodec;
  let oldId: number;
  let newId: number;
  let pipeline: Pipeline;
  /** Two producers, as two applications on different releases would be. */
  let producers: BatchingProducer[];

  before(async () => {
    const stack = await testStack();
    codec = AvroCodec.connect(stack.registryUrl);
    oldId = await codec.registerSchema(subject, RAW_LEAD_V1);
    pipeline = await startPipeline('fault-schemas', {
      prefix,
      only: ['normalizer', 'enricher', 'router'],
    });
    newId = await codec.registerSchema(subject, RAW_LEAD_NEXT);
    producers = [BatchingProducer.create(pipeline.kafka), BatchingProducer.create(pipeline.kafka)];
    for (const p of producers) await p.connect();
  });

  after(async () => {
    for (const p of producers ?? []) await p.disconnect();
    await pipeline?.close();
  });

  it('normalizes and routes every lead of both, none dead-lettered', async () => {
    assert.notEqual(oldId, newId);
    const [oldIds, newIds] = await Promise.all([
      produceRawLeads(producers[0]!, codec, pipeline.topics.raw, {
        tag: 'v1',
        count: PER_PRODUCER,
        schemaId: oldId,
      }),
      produceRawLeads(producers[1]!, codec, pipeline.topics.raw, {
        tag: 'next',
        count: PER_PRODUCER,
        schemaId: newId,
        extra: { client_ip: '193.99.144.80', campaign_id: 'spring' },
      }),
    ]);
    const sent = [...oldIds, ...newIds];

    // What reached leads.raw: both writer schemas, interleaved.
    const raw = await readRaw(pipeline.kafka, pipeline.topics.raw);
    const bySchema = new Map<number, number>();
    const idsByPartition = new Map<number, Set<number>>();
    for (const r of raw) {
      const id = r.message.value!.readInt32BE(1);
      bySchema.set(id, (bySchema.get(id) ?? 0) + 1);
      idsByPartition.set(r.partition, (idsByPartition.get(r.partition) ?? new Set()).add(id));
    }
    const mixed = [...idsByPartition.values()].filter((ids) => ids.size === 2).length;
    assert.ok(mixed > 0, 'both versions share a partition');
    assert.equal(bySchema.get(oldId), PER_PRODUCER);
    assert.equal(bySchema.get(newId), PER_PRODUCER);

    const routed = await waitFor(
      async () => {
        const records = await readTopic<RoutedLead>(
          pipeline.kafka,
          pipeline.codec,
          pipeline.topics.routed,
          'RoutedLead',
        );
        const byId = new Map(records.map((r) => [r.value.lead.lead_id, r.value]));
        return sent.every((id) => byId.has(id)) && byId;
      },
      { timeoutMs: 180_000, intervalMs: 1_000, what: `all ${sent.length} leads on leads.routed` },
    );
    const dead = (await deadLetters(pipeline)).filter((d) => sent.includes(d.lead_id ?? ''));
    const twice = await routedTwice(pipeline, sent);
    const lost = sent.filter((id) => !routed.has(id)).length;
    recordFault({
      fault: 'producers on RawLead v1 and on a newer version write leads.raw at once',
      sent: sent.length,
      delivered: sent.length - lost,
      lost,
      assignedTwice: twice,
      proof:
        `${bySchema.get(oldId)} leads written with schema id ${oldId} (RawLead before client_ip) ` +
        `and ${bySchema.get(newId)} with id ${newId} (today's + campaign_id) by two producers at ` +
        `once, both versions in ${mixed} of ${idsByPartition.size} partitions; all ` +
        `reached leads.routed normalized, ${dead.length} dead-lettered`,
    });
    assert.equal(lost, 0);
    assert.deepEqual(dead, [], 'no lead dead-lettered');
    assert.equal(twice, 0);
    // Each lead was read into today's schema: the old ones with client_ip at its default, the
    // newer ones with theirs (the unknown campaign_id dropped), every email normalized.
    for (const id of oldIds) assert.equal(routed.get(id)!.lead.client_ip, null);
    for (const id of newIds) assert.equal(routed.get(id)!.lead.client_ip, '193.99.144.80');
    for (const id of sent)
      assert.match(routed.get(id)!.lead.email ?? '', /^(v1|next)\.person\d+@acme\d+\.com$/);
  });
});

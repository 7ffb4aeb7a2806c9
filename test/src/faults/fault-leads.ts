import { randomUUID } from 'node:crypto';
import type { AvroCodec, BatchingProducer } from '@lead-router/kafka';
import { allSchemas, type DeadLetter, type RoutedLead } from '@lead-router/schemas';
import { readTopic } from '@lead-router/testing';
import { inParallel, postLead, type Pipeline } from '../e2e/pipeline.fixture';

const countries = ['DE', 'US', 'FR', 'GB'];

/** A business lead from a country the demo rule set routes to the demo inbox. */
export function inboxLeadBody(tag: string, i: number): string {
  return JSON.stringify({
    email: `${tag}.person${i}@acme${i % 17}.com`,
    first_name: `Person${i}`,
    country: countries[i % countries.length]!,
    company: `Acme ${i % 17}`,
  });
}

/**
 * Posts `count` leads to ingest as a careful client does: each with its own Idempotency-Key, and a
 * 503 (ingest shedding load, or Kafka away) retried with the same key after a second. `onAccepted`
 * sees each 202 as it comes (to cut a dependency mid-stream). Returns the accepted lead ids; any
 * other answer fails.
 */
export async function postLeads(
  pipeline: Pipeline,
  tag: string,
  count: number,
  onAccepted: (accepted: number) => void | Promise<void> = () => undefined,
): Promise<string[]> {
  const run = randomUUID();
  let accepted = 0;
  return inParallel(
    Array.from({ length: count }, (_, i) => i),
    8,
    async (i) => {
      const headers = { 'idempotency-key': `${tag}-${run}-${i}` };
      for (let attempt = 1; ; attempt++) {
        const res = await postLead(pipeline.ingestUrl, inboxLeadBody(tag, i), headers);
        if (res.status === 202 && res.body.lead_id) {
          await onAccepted(++accepted);
          return res.body.lead_id;
        }
        if (res.status !== 503 || attempt >= 120) {
          throw new Error(
            `lead ${tag}-${i}: ingest answered ${res.status} ${JSON.stringify(res.body)}`,
          );
        }
        await new Promise((resolve) => setTimeout(resolve, 1_000));
      }
    },
  );
}

/** The distinct lead ids the demo inbox has received. */
export function inboxLeadIds(pipeline: Pipeline): Set<string> {
  return new Set(
    pipeline.inbox
      .deliveries()
      .map((d) => String((d.body as { data: Record<string, unknown> }).data['lead_id'])),
  );
}

/** Leads of `ids` with more than one routing decision on leads.routed. */
export async function routedTwice(pipeline: Pipeline, ids: Iterable<string>): Promise<number> {
  const wanted = new Set(ids);
  const routed = await readTopic<RoutedLead>(
    pipeline.kafka,
    pipeline.codec,
    pipeline.topics.routed,
    'RoutedLead',
  );
  const seen = new Map<string, number>();
  for (const r of routed) {
    const id = r.value.lead.lead_id;
    if (wanted.has(id)) seen.set(id, (seen.get(id) ?? 0) + 1);
  }
  return [...seen.values()].filter((n) => n > 1).length;
}

/** The dead letters of the pipeline's DLQ, each with its stage and reason. */
export async function deadLetters(pipeline: Pipeline): Promise<DeadLetter[]> {
  const dlq = await readTopic<DeadLetter>(
    pipeline.kafka,
    pipeline.codec,
    pipeline.topics.dlq,
    'DeadLetter',
  );
  return dlq.map((r) => r.value);
}

/** RawLead as a producer one release ahead writes it: one more optional field, with a default. */
export const RAW_LEAD_NEXT = {
  ...allSchemas.RawLead,
  fields: [
    ...allSchemas.RawLead.fields,
    { name: 'campaign_id', type: ['null', 'string'], default: null },
  ],
};

/**
 * Writes `count` leads onto leads.raw as a producer of its own would: encoded with `schemaId`
 * (any version registered under the topic's subject), keyed by lead id, 20 to a send. Fields the
 * writer schema does not have are left out of the bytes.
 */
export async function produceRawLeads(
  producer: BatchingProducer,
  codec: AvroCodec,
  topic: string,
  options: { tag: string; count: number; schemaId: number; extra?: object },
): Promise<string[]> {
  const { tag, count, schemaId } = options;
  const ids: string[] = [];
  for (let start = 0; start < count; start += 20) {
    const messages = [];
    for (let i = start; i < Math.min(count, start + 20); i++) {
      const leadId = randomUUID();
      ids.push(leadId);
      const lead = {
        lead_id: leadId,
        source: 'web-form',
        source_lead_id: `${tag}-${i}`,
        channel: 'kafka',
        received_at: Date.now(),
        email: `${tag}.person${i}@acme${i % 13}.com`,
        phone: null,
        first_name: `Person${i}`,
        last_name: null,
        company: `Acme ${i % 13}`,
        website: null,
        country: countries[i % countries.length]!,
        job_title: null,
        message: null,
        attributes: {},
        ...options.extra,
      };
      messages.push({ topic, key: leadId, value: await codec.registry.encode(schemaId, lead) });
    }
    await producer.sendAll(messages);
  }
  return ids;
}

import { Inject, Injectable } from '@nestjs/common';
import type { AvroCodec, BatchingProducer } from '@lead-router/kafka';
import type { RawLead } from '@lead-router/schemas';
import { CODEC, PRODUCER, TOPICS, type PrefixedTopics } from '@lead-router/service-kit';
import { LoadGate } from './load-gate';

/**
 * Puts captured leads on `leads.raw`, keyed by lead id; resolves once Kafka acknowledged. The
 * gate counts them as pending until then.
 */
@Injectable()
export class LeadPublisher {
  constructor(
    @Inject(PRODUCER) private readonly producer: BatchingProducer,
    @Inject(CODEC) private readonly codec: AvroCodec,
    @Inject(TOPICS) private readonly topics: PrefixedTopics,
    @Inject(LoadGate) private readonly gate: LoadGate,
  ) {}

  publish(lead: RawLead): Promise<void> {
    const topic = this.topics.topics.raw;
    const value = this.codec.encode(topic, lead);
    return this.gate.track(1, () => this.producer.send({ topic, key: lead.lead_id, value }));
  }

  publishAll(leads: readonly RawLead[]): Promise<void> {
    const topic = this.topics.topics.raw;
    const records = leads.map((lead) => ({
      topic,
      key: lead.lead_id,
      value: this.codec.encode(topic, lead),
    }));
    return this.gate.track(records.length, () => this.producer.sendAll(records));
  }
}

import { Inject, Injectable } from '@nestjs/common';
import type { AvroCodec, BatchingProducer } from '@lead-router/kafka';
import type { RawLead } from '@lead-router/schemas';
import { CODEC, PRODUCER, TOPICS, type PrefixedTopics } from '@lead-router/service-kit';

/** Puts captured leads on `leads.raw`, keyed by lead id; resolves once Kafka acknowledged. */
@Injectable()
export class LeadPublisher {
  constructor(
    @Inject(PRODUCER) private readonly producer: BatchingProducer,
    @Inject(CODEC) private readonly codec: AvroCodec,
    @Inject(TOPICS) private readonly topics: PrefixedTopics,
  ) {}

  publish(lead: RawLead): Promise<void> {
    const topic = this.topics.topics.raw;
    return this.producer.send({ topic, key: lead.lead_id, value: this.codec.encode(topic, lead) });
  }

  async publishAll(leads: readonly RawLead[]): Promise<void> {
    const topic = this.topics.topics.raw;
    await this.producer.sendAll(
      leads.map((lead) => ({ topic, key: lead.lead_id, value: this.codec.encode(topic, lead) })),
    );
  }
}

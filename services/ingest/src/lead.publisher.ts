import { Inject, Injectable } from '@nestjs/common';
import type { AvroCodec, BatchingProducer } from '@lead-router/kafka';
import { NO_TRACE_HEADERS, withTraceHeaders, type TraceHeaders } from '@lead-router/observability';
import type { RawLead } from '@lead-router/schemas';
import { CODEC, PRODUCER, TOPICS, type PrefixedTopics } from '@lead-router/service-kit';
import { LoadGate } from './load-gate';

/**
 * Puts captured leads on `leads.raw`, keyed by lead id; resolves once Kafka acknowledged. The
 * gate counts them as pending until then. Each record carries the trace headers of the request
 * that brought it (`requestTraceHeaders`).
 */
@Injectable()
export class LeadPublisher {
  constructor(
    @Inject(PRODUCER) private readonly producer: BatchingProducer,
    @Inject(CODEC) private readonly codec: AvroCodec,
    @Inject(TOPICS) private readonly topics: PrefixedTopics,
    @Inject(LoadGate) private readonly gate: LoadGate,
  ) {}

  publish(lead: RawLead, trace: TraceHeaders = NO_TRACE_HEADERS): Promise<void> {
    const topic = this.topics.topics.raw;
    const value = this.codec.encode(topic, lead);
    const headers = withTraceHeaders(trace, undefined);
    return this.gate.track(1, () =>
      this.producer.send({ topic, key: lead.lead_id, value, ...(headers ? { headers } : {}) }),
    );
  }

  publishAll(leads: readonly RawLead[], trace: TraceHeaders = NO_TRACE_HEADERS): Promise<void> {
    const topic = this.topics.topics.raw;
    const headers = withTraceHeaders(trace, undefined);
    const records = leads.map((lead) => ({
      topic,
      key: lead.lead_id,
      value: this.codec.encode(topic, lead),
      ...(headers ? { headers } : {}),
    }));
    return this.gate.track(records.length, () => this.producer.sendAll(records));
  }
}

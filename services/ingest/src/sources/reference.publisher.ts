import { Inject, Injectable } from '@nestjs/common';
import type { AvroCodec, BatchingProducer } from '@lead-router/kafka';
import { NO_TRACE_HEADERS, withTraceHeaders, type TraceHeaders } from '@lead-router/observability';
import type { SourceLeadReference } from '@lead-router/schemas';
import { CODEC, PRODUCER, TOPICS, type PrefixedTopics } from '@lead-router/service-kit';
import { LoadGate } from '../load-gate';

/** The Kafka key of a lead reference: one platform lead stays on one partition. */
export function referenceKey(reference: SourceLeadReference): string {
  return `${reference.platform}:${reference.platform_lead_id}`;
}

/** Puts lead references on `sources.fetch` for source-fetcher; resolves once Kafka acknowledged. */
@Injectable()
export class ReferencePublisher {
  constructor(
    @Inject(PRODUCER) private readonly producer: BatchingProducer,
    @Inject(CODEC) private readonly codec: AvroCodec,
    @Inject(TOPICS) private readonly topics: PrefixedTopics,
    @Inject(LoadGate) private readonly gate: LoadGate,
  ) {}

  publishAll(
    references: readonly SourceLeadReference[],
    trace: TraceHeaders = NO_TRACE_HEADERS,
  ): Promise<void> {
    const topic = this.topics.topics.sourcesFetch;
    const headers = withTraceHeaders(trace, undefined);
    const records = references.map((r) => ({
      topic,
      key: referenceKey(r),
      value: this.codec.encode(topic, r),
      ...(headers ? { headers } : {}),
    }));
    return this.gate.track(records.length, () => this.producer.sendAll(records));
  }
}

import type { EnrichedLead } from '@lead-router/schemas';
import { topicsOf, type RulesAdminDeps } from './rules-admin.deps';
import { readRanges, timeWindowRanges } from '@lead-router/kafka';

export interface WindowedLead {
  lead: EnrichedLead;
  partition: number;
  offset: string;
  /** The record's Kafka timestamp (ms). */
  timestamp: number;
}

/**
 * The EnrichedLeads on leads.enriched whose record timestamp is in [from, to), in timestamp
 * order (ties by partition and offset). Start offsets come from the broker's time index; the
 * end is the offset at `to`, or the high watermark at the time of the call. Nothing is committed.
 */
export async function readEnrichedWindow(
  deps: RulesAdminDeps,
  from: Date,
  to?: Date,
): Promise<WindowedLead[]> {
  const topic = topicsOf(deps).topics.enriched;
  const fromMs = from.getTime();
  const toMs = to?.getTime();
  const ranges = await timeWindowRanges(deps.kafka, topic, fromMs, toMs);
  const records = await readRanges(deps.kafka, topic, ranges, deps.topicPrefix);
  const out: WindowedLead[] = [];
  for (const { partition, message } of records) {
    const timestamp = Number(message.timestamp);
    // Producers may set timestamps out of order; the window is by timestamp, not by offset.
    if (timestamp < fromMs || (toMs !== undefined && timestamp >= toMs)) continue;
    out.push({
      lead: await deps.codec.decode<EnrichedLead>(message.value, 'EnrichedLead'),
      partition,
      offset: message.offset,
      timestamp,
    });
  }
  return out.sort(
    (a, b) =>
      a.timestamp - b.timestamp ||
      a.partition - b.partition ||
      Number(BigInt(a.offset) - BigInt(b.offset)),
  );
}

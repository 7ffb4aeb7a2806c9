import type { RecordContext, StageDefinition, StageResult } from '@lead-router/kafka';
import {
  Topics,
  type DeadLetter,
  type DeliveryAttempt,
  type DeliveryOutcome,
  type EnrichedLead,
  type NormalizedLead,
  type RawLead,
  type RoutedLead,
  type SchemaName,
} from '@lead-router/schemas';
import type { Logger } from '@lead-router/observability';
import { emailDigest, personOf } from '@lead-router/privacy';
import {
  LOGGER,
  METRICS_REGISTRY,
  STAGES,
  TOPICS,
  stageSettings,
  type PrefixedTopics,
} from '@lead-router/service-kit';
import {
  attemptedEvent,
  capturedEvent,
  deadLetteredEvent,
  deliveredEvent,
  enrichedEvent,
  normalizedEvent,
  routedEvent,
  type TraceEvent,
} from '@lead-router/trace';
import type { Provider } from '@nestjs/common';
import type { Pool } from 'pg';
import type { Registry } from 'prom-client';
import type { IndexerConfig } from './indexer.config';
import { traceErasureStage } from './trace-erasure.stage';
import { TraceIndexBuffer } from './trace-index.buffer';
import { TraceIndexHealth } from './trace-index.health';
import { PG_POOL } from './pg-pool.provider';

type LeadTopic = 'raw' | 'normalized' | 'enriched' | 'routed' | 'attempts' | 'delivered' | 'dlq';

interface Indexed<In> {
  topic: LeadTopic;
  schema: SchemaName;
  event(input: In): TraceEvent | null;
  leadIdOf(input: In): string | null;
  /** The record carries the lead's email: its row keeps the digest, for erasure by email. */
  carriesEmail?: boolean;
}

const indexed = <In>(i: Indexed<In>) => i as unknown as Indexed<unknown>;

/** Every lead topic and the trace event each of its records becomes. */
const INDEXED: readonly Indexed<unknown>[] = [
  indexed<RawLead>({
    topic: 'raw',
    schema: 'RawLead',
    event: capturedEvent,
    leadIdOf: (r) => r.lead_id,
    carriesEmail: true,
  }),
  indexed<NormalizedLead>({
    topic: 'normalized',
    schema: 'NormalizedLead',
    event: normalizedEvent,
    leadIdOf: (l) => l.lead_id,
    carriesEmail: true,
  }),
  indexed<EnrichedLead>({
    topic: 'enriched',
    schema: 'EnrichedLead',
    event: enrichedEvent,
    leadIdOf: (l) => l.lead.lead_id,
  }),
  indexed<RoutedLead>({
    topic: 'routed',
    schema: 'RoutedLead',
    event: routedEvent,
    leadIdOf: (l) => l.lead.lead_id,
  }),
  indexed<DeliveryAttempt>({
    topic: 'attempts',
    schema: 'DeliveryAttempt',
    event: attemptedEvent,
    leadIdOf: (a) => a.lead_id,
  }),
  indexed<DeliveryOutcome>({
    topic: 'delivered',
    schema: 'DeliveryOutcome',
    event: deliveredEvent,
    leadIdOf: (o) => o.lead_id,
  }),
  indexed<DeadLetter>({
    topic: 'dlq',
    schema: 'DeadLetter',
    event: deadLetteredEvent,
    leadIdOf: (d) => d.lead_id,
  }),
];

/**
 * One consumer group per lead topic (`<group>.<topic>`), each writing a row per record into the
 * trace index. Rows are written in `afterChunk`, before the chunk's offsets commit, so a crash
 * replays them and the primary key drops the repeats. Nothing is produced. A last group follows
 * privacy.erasures and deletes the rows of each person forgotten (`traceErasureStage`).
 */
export function indexerStages(config: IndexerConfig): Provider {
  return {
    provide: STAGES,
    inject: [TOPICS, PG_POOL, TraceIndexHealth, LOGGER, METRICS_REGISTRY],
    useFactory: (
      { topics }: PrefixedTopics,
      pool: Pool,
      health: TraceIndexHealth,
      logger: Logger,
      registry: Registry,
    ): StageDefinition<unknown>[] => [
      ...INDEXED.map((i): StageDefinition<unknown> => {
        const buffer = new TraceIndexBuffer(pool, config.pg.table, health);
        return {
          stage: `indexer.${i.topic}`,
          ...stageSettings(config),
          groupId: `${config.groupId}.${Topics[i.topic]}`,
          topic: topics[i.topic],
          schema: i.schema,
          dlqTopic: topics.dlq,
          leadIdOf: i.leadIdOf,
          handle: (input: unknown, ctx: RecordContext): StageResult => {
            const event = i.event(input);
            if (event !== null) {
              buffer.add({
                ...event,
                topic: ctx.topic,
                partition: ctx.partition,
                offset: ctx.offset,
                emailSha256: i.carriesEmail ? emailDigest(personOf(input)?.email) : null,
              });
            }
            return { kind: 'ok', outputs: [] };
          },
          afterChunk: ({ partition }) => buffer.flush(partition),
        };
      }),
      traceErasureStage(config, { topics, pool, logger, registry }) as StageDefinition<unknown>,
    ],
  };
}

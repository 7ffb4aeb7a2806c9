import {
  DESTINATION_HEADER,
  FETCH_MAX_WAIT_MS,
  dueAtOf,
  type ChunkInfo,
  type FetchSettings,
  type RecordContext,
  type StageDefinition,
  type StageOutput,
  type StageResult,
} from '@lead-router/kafka';
import type { RoutedLead } from '@lead-router/schemas';
import { ChunkCoalescer } from './chunk.coalescer';
import type { CommonDestinationConfig } from './sink.adapter';
import { SinkDeliverer, type PendingTask, type SinkDelivererOptions } from './sink.deliverer';

export interface SinkStagesOptions<
  C extends CommonDestinationConfig,
> extends SinkDelivererOptions<C> {
  /** The sink's consumer group on leads.routed; a retry tier's group adds `.<tier topic>`. */
  groupId: string;
  dlqTopic: string;
  /** Handler concurrency and session timeout, as for any stage. */
  settings?: Pick<StageDefinition<RoutedLead>, 'concurrency' | 'sessionTimeoutMs' | 'chunkSize'>;
  /** How batches gather; see `SinkBatching`. */
  batching?: Partial<SinkBatching>;
  /**
   * How the retry tiers fetch. Their records wait for their due time, so no batch gathers there
   * and an idle tier need not ask the broker as often as leads.routed does.
   */
  tierFetch?: FetchSettings;
}

/**
 * How a sink gathers leads into batches before the destination's size limit cuts them. Leads
 * linger in Kafka, not in memory: the consumer's fetch waits until `fetch.minBytes` are there or
 * `fetch.maxWaitMs` has passed; then the chunks of every partition in that fetch are joined into
 * one delivery (`ChunkCoalescer`), waiting at most `coalesceMs` for a slow one.
 */
export interface SinkBatching {
  fetch: FetchSettings;
  /** Partitions whose chunks are handled at once, and so can share a batch. */
  partitionsConcurrently: number;
  coalesceMs: number;
}

export const DEFAULT_SINK_BATCHING: SinkBatching = {
  fetch: { minBytes: 1, maxWaitMs: 100 },
  partitionsConcurrently: 6,
  coalesceMs: 50,
};

/** The retry tiers' fetch unless the sink says otherwise: the Java client's fetch.max.wait.ms. */
export const DEFAULT_TIER_FETCH: FetchSettings = { minBytes: 1, maxWaitMs: FETCH_MAX_WAIT_MS };

/** A stage on a retry tier: due when its record's `lr-due-at` says. */
export type RetryTierStage = StageDefinition<RoutedLead> &
  Required<Pick<StageDefinition<RoutedLead>, 'dueAt'>>;

/**
 * The sink's stage on leads.routed. The handler only collects this sink's tasks (a lead with no
 * destination of its type is skipped without an outcome: another sink owns it); `afterChunk`
 * hands them to the coalescer, which delivers the chunks of several partitions together, and
 * gives the runner the chunk's outcomes, dead letters, retry-tier and fallback records to produce
 * before it commits the chunk's offsets.
 *
 * Then one stage per retry tier (`retryTierStages`), each due when its record's `lr-due-at` says.
 */
export function sinkStages<C extends CommonDestinationConfig>(
  options: SinkStagesOptions<C>,
): StageDefinition<RoutedLead>[] {
  const deliverer = new SinkDeliverer(options);
  return [
    sinkStage(options, deliverer, options.sink, options.groupId, options.topics.routed),
    ...retryTierStages(options, deliverer),
  ];
}

/**
 * One stage per retry tier of the sink, each consuming its tier topic when records are due: at
 * their `lr-due-at`, and not before the destination's open circuit lets a probe through. A lead
 * whose destination is down so waits in its tier, paused, instead of going round the tier again
 * at every probe (an outage of minutes otherwise re-produces every waiting lead every
 * `half_open_after`, and the sinks' CPU grows with the outage). Records behind it in the tier
 * partition wait with it, for at most `half_open_after`.
 */
export function retryTierStages<C extends CommonDestinationConfig>(
  options: SinkStagesOptions<C>,
  deliverer: SinkDeliverer<C> = new SinkDeliverer(options),
): RetryTierStage[] {
  return options.topics.tiers.map((tier) => ({
    ...sinkStage(
      options,
      deliverer,
      `${options.sink}:${tier.topic}`,
      `${options.groupId}.${tier.topic}`,
      tier.topic,
    ),
    fetch: options.tierFetch ?? DEFAULT_TIER_FETCH,
    dueAt: (_input: RoutedLead, ctx: RecordContext) =>
      laterOf(
        dueAtOf(ctx.headers),
        deliverer.breakers.probeAt(ctx.headers[DESTINATION_HEADER] ?? ''),
      ),
  }));
}

function sinkStage<C extends CommonDestinationConfig>(
  options: SinkStagesOptions<C>,
  deliverer: SinkDeliverer<C>,
  stage: string,
  groupId: string,
  topic: string,
): StageDefinition<RoutedLead> {
  const batching = { ...DEFAULT_SINK_BATCHING, ...options.batching };
  /** Each partition's chunk in progress: its tasks, and the outputs settled without a request. */
  const chunks = new Map<number, { tasks: PendingTask<C>[]; ready: StageOutput[] }>();
  const coalescer = new ChunkCoalescer<PendingTask<C>>({
    deliver: (tasks) => deliverer.deliver(tasks),
    leadIdOf: (task) => task.lead.lead.lead_id,
    maxWaitMs: batching.coalesceMs,
  });
  const chunkOf = (partition: number) => {
    let chunk = chunks.get(partition);
    if (!chunk) {
      chunk = { tasks: [], ready: [] };
      chunks.set(partition, chunk);
    }
    return chunk;
  };
  return {
    ...options.settings,
    stage,
    groupId,
    topic,
    schema: 'RoutedLead',
    dlqTopic: options.dlqTopic,
    partitionsConcurrently: batching.partitionsConcurrently,
    fetch: batching.fetch,
    leadIdOf: (routed) => routed.lead.lead_id,
    // A chunk that failed half-way is handled again from its start.
    beforeChunk: async (chunk: ChunkInfo) => {
      chunks.set(chunk.partition, { tasks: [], ready: [] });
      coalescer.begin(chunk);
    },
    handle: async (routed, record): Promise<StageResult> => {
      const found = await deliverer.tasksOf(routed, record);
      const chunk = chunkOf(record.partition);
      chunk.tasks.push(...found.tasks);
      chunk.ready.push(...found.outputs);
      return { kind: 'ok', outputs: [] };
    },
    afterChunk: async (info: ChunkInfo) => {
      const chunk = chunkOf(info.partition);
      chunks.delete(info.partition);
      return [...chunk.ready, ...(await coalescer.submit(info, chunk.tasks))];
    },
    onGroupJoin: () => coalescer.reset(),
  };
}

function laterOf(a: number | null, b: number | null): number | null {
  if (a === null) return b;
  if (b === null) return a;
  return Math.max(a, b);
}

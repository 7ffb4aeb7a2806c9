import {
  dueAtOf,
  type RecordContext,
  type StageDefinition,
  type StageOutput,
  type StageResult,
} from '@lead-router/kafka';
import type { RoutedLead } from '@lead-router/schemas';
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
}

/** A stage on a retry tier: due when its record's `lr-due-at` says. */
export type RetryTierStage = StageDefinition<RoutedLead> &
  Required<Pick<StageDefinition<RoutedLead>, 'dueAt'>>;

/**
 * The sink's stage on leads.routed. The handler only collects this sink's tasks (a lead with no
 * destination of its type is skipped without an outcome: another sink owns it); `afterChunk`
 * delivers them and hands the runner the outcomes, dead letters, retry-tier and fallback records
 * to produce before it commits. afterChunk is not told which partition's chunk ended, so each
 * stage holds one chunk at a time (`partitionsConcurrently: 1`) and scales by instances.
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

/** One stage per retry tier of the sink, each consuming its tier topic when records are due. */
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
    dueAt: (_input: RoutedLead, ctx: RecordContext) => dueAtOf(ctx.headers),
  }));
}

function sinkStage<C extends CommonDestinationConfig>(
  options: SinkStagesOptions<C>,
  deliverer: SinkDeliverer<C>,
  stage: string,
  groupId: string,
  topic: string,
): StageDefinition<RoutedLead> {
  let tasks: PendingTask<C>[] = [];
  let ready: StageOutput[] = [];
  return {
    ...options.settings,
    stage,
    groupId,
    topic,
    schema: 'RoutedLead',
    dlqTopic: options.dlqTopic,
    partitionsConcurrently: 1,
    leadIdOf: (routed) => routed.lead.lead_id,
    // A chunk that failed half-way is handled again from its start.
    beforeChunk: async () => {
      tasks = [];
      ready = [];
    },
    handle: async (routed, record): Promise<StageResult> => {
      const found = await deliverer.tasksOf(routed, record);
      tasks.push(...found.tasks);
      ready.push(...found.outputs);
      return { kind: 'ok', outputs: [] };
    },
    afterChunk: async () => {
      const pending = tasks;
      const outputs = ready;
      tasks = [];
      ready = [];
      return [...outputs, ...(await deliverer.deliver(pending))];
    },
  };
}

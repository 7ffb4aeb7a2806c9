import type { StageDefinition, StageSettings } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import type { EnrichedLead, QueueAssignment } from '@lead-router/schemas';
import { AssignStep } from './assign.step';
import { MatchStep } from './match.step';
import type { QueueStateStore } from './queue-state.store';
import type { RulesRegistry } from './rules.registry';

export interface RouterTopics {
  enriched: string;
  assign: string;
  held: string;
  routed: string;
  dlq: string;
}

export interface RouterStagesDeps {
  /** This router instance's name (`ROUTER_INSTANCE_ID`, else host and process id). */
  instance: string;
  topics: RouterTopics;
  rules: RulesRegistry;
  store: QueueStateStore;
  logger: Logger;
  now: () => number;
}

/**
 * The router runs in steps, each its own consumer group:
 *  - match: leads.enriched -> router.assign, keyed by queue group (`MatchStep`);
 *  - assign: router.assign -> leads.routed and the state changelog (`AssignStep`); when nobody can
 *    take a lead, the queue's `when_unavailable: { hold: true }` writes it once to router.held,
 *    keyed by lead id, until the earliest time someone can.
 * The held leads go back to router.assign when due through the held queue (`HeldQueueConsumer`),
 * which is no stage: it indexes router.held by due time instead of reading it as a stream.
 * Each lead is matched and assigned under the one version recorded on it.
 */
export function routerStages(
  settings: StageSettings,
  deps: RouterStagesDeps,
): StageDefinition<unknown>[] {
  const { topics, now } = deps;
  const match = new MatchStep({ rules: deps.rules, assignTopic: topics.assign, now });
  const assign = new AssignStep(deps);
  const leadIdOf = (a: QueueAssignment) => a.enriched.lead.lead_id;

  const matchStage: StageDefinition<EnrichedLead> = {
    stage: 'router',
    ...settings,
    exactlyOnce: true,
    instanceId: deps.instance,
    topic: topics.enriched,
    schema: 'EnrichedLead',
    dlqTopic: topics.dlq,
    leadIdOf: (enriched) => enriched.lead.lead_id,
    handle: (enriched, ctx) => match.handle(enriched, ctx),
  };
  const assignStage: StageDefinition<QueueAssignment> = {
    stage: 'router-assign',
    ...settings,
    groupId: `${settings.groupId}.assign`,
    exactlyOnce: true,
    instanceId: deps.instance,
    // Partitions at once (the settings', else all of them), each with its own state in the
    // store; one record at a time within a partition, as the rotation is sequential.
    concurrency: 1,
    topic: topics.assign,
    schema: 'QueueAssignment',
    dlqTopic: topics.dlq,
    leadIdOf,
    onGroupJoin: () => assign.onGroupJoin(),
    onTransactionFailed: (chunk) => assign.onTransactionFailed(chunk),
    beforeChunk: (chunk) => assign.beforeChunk(chunk),
    afterChunk: (chunk) => assign.afterChunk(chunk),
    handle: (a, ctx) => assign.handle(a, ctx),
  };
  return [matchStage as StageDefinition<unknown>, assignStage as StageDefinition<unknown>];
}

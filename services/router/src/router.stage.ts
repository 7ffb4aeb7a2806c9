import type { AvroCodec, StageDefinition, StageResult } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import { queueGroupFor, route } from '@lead-router/routing';
import { type EnrichedLead, type QueueAssignment, type RoutedLead } from '@lead-router/schemas';
import {
  CODEC,
  KAFKA,
  LOGGER,
  STAGES,
  TOPICS,
  stageSettings,
  type Topics,
} from '@lead-router/service-kit';
import type { Provider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { QueueStateStore } from './queue-state.store';
import type { RouterConfig } from './router.config';
import { loadRules } from './rules.loader';
import { RulesRegistry } from './rules.registry';

/** The rule-set registry, caught up with routing.rules before any lead is routed. */
export function rulesRegistryProvider(config: RouterConfig): Provider {
  return {
    provide: RulesRegistry,
    inject: [TOPICS, LOGGER, KAFKA, CODEC],
    useFactory: async (
      { topics, declarations }: Topics,
      logger: Logger,
      kafka: Kafka,
      codec: AvroCodec,
    ): Promise<RulesRegistry> => {
      const registry = new RulesRegistry(loadRules(config.rulesFile), {
        kafka,
        codec,
        logger,
        topic: declarations.find((d) => d.name === topics.rules)!,
        groupPrefix: config.groupId,
      });
      await registry.start();
      logger.info(
        { ruleSet: registry.current.id, version: registry.current.version },
        'routing with rule set',
      );
      return registry;
    },
  };
}

/**
 * The router runs in steps, each its own consumer group:
 *  - match: leads.enriched -> evaluate the active rule-set version -> router.assign, re-keyed by
 *    the queue group the lead goes to (the lead id for a fixed owner);
 *  - assign: router.assign -> distribute within the queue group, with state this instance owns
 *    because it owns the group's partition -> leads.routed (key: lead id) + the state changelog;
 *  - held: when nobody can take a lead, the queue's `when_unavailable: { hold: true }` parks it
 *    on router.held until the earliest time someone can, then it goes back to assignment.
 * Each lead is matched and assigned under the one version recorded on it.
 */
export function routerStages(config: RouterConfig, now: () => number = Date.now): Provider {
  return {
    provide: STAGES,
    inject: [TOPICS, KAFKA, CODEC, RulesRegistry, LOGGER],
    useFactory: (
      { topics }: Topics,
      kafka: Kafka,
      codec: AvroCodec,
      registry: RulesRegistry,
      logger: Logger,
    ): StageDefinition<unknown>[] => {
      const store = new QueueStateStore(kafka, codec, topics.queueState, now);

      const match: StageDefinition<EnrichedLead> = {
        stage: 'router',
        ...stageSettings(config),
        topic: topics.enriched,
        schema: 'EnrichedLead',
        dlqTopic: topics.dlq,
        leadIdOf: (enriched) => enriched.lead.lead_id,
        handle: (enriched) => {
          const rules = registry.current;
          const group = queueGroupFor(rules, enriched);
          const assignment: QueueAssignment = {
            enriched,
            rule_set_id: rules.id,
            rule_set_version: rules.version,
            queue_group: group ?? '',
            matched_at: now(),
            held_until: 0,
          };
          return {
            kind: 'ok',
            outputs: [
              { topic: topics.assign, key: group ?? enriched.lead.lead_id, value: assignment },
            ],
          };
        },
      };

      const assign: StageDefinition<QueueAssignment> = {
        stage: 'router-assign',
        ...stageSettings(config),
        groupId: `${config.groupId}.assign`,
        // One partition at a time: its chunk's state snapshot goes out with its routed leads.
        partitionsConcurrently: 1,
        concurrency: 1,
        topic: topics.assign,
        schema: 'QueueAssignment',
        dlqTopic: topics.dlq,
        leadIdOf: (a) => a.enriched.lead.lead_id,
        onGroupJoin: () => store.invalidate(),
        beforeChunk: () => store.restoreIfStale(),
        afterChunk: async () => store.drainSnapshots(),
        handle: async (a, ctx): Promise<StageResult> => {
          const group = a.queue_group;
          if (group !== '' && store.applied(group, ctx.partition, ctx.offset)) {
            // Routed and recorded before a rebalance cut the commit short: already on leads.routed.
            return { kind: 'ok', outputs: [] };
          }
          const rules = await registry.version(a.rule_set_id, a.rule_set_version);
          if (!rules) {
            return {
              kind: 'dead',
              code: 'unknown_rule_set_version',
              error: `rule set ${a.rule_set_id} version ${a.rule_set_version} is not published`,
            };
          }
          const result = route(rules, a.enriched, store.states(group), now());
          if (result.kind === 'hold') {
            const skipped = result.decision.distribution?.skipped ?? [];
            logger.info(
              {
                leadId: a.enriched.lead.lead_id,
                until: new Date(result.until).toISOString(),
                skipped,
              },
              'nobody can take the lead now: held',
            );
            return {
              kind: 'ok',
              outputs: [
                {
                  topic: topics.held,
                  key: ctx.key?.toString() ?? a.enriched.lead.lead_id,
                  value: { ...a, held_until: result.until },
                },
              ],
            };
          }
          if (group !== '') store.update(group, ctx.partition, ctx.offset, result.stateUpdates);
          const routed: RoutedLead = {
            lead: a.enriched.lead,
            enrichment: a.enriched.enrichment,
            decision: result.decision,
            destinations: result.destinations,
          };
          return {
            kind: 'ok',
            outputs: [{ topic: topics.routed, key: a.enriched.lead.lead_id, value: routed }],
          };
        },
      };
      // Held leads go round their topic until due, then back to assignment under their version;
      // a pass that finds nothing due waits a second, so waiting leads cost little.
      let nothingDue = false;
      const held: StageDefinition<QueueAssignment> = {
        stage: 'router-held',
        ...stageSettings(config),
        groupId: `${config.groupId}.held`,
        partitionsConcurrently: 1,
        concurrency: 1,
        topic: topics.held,
        schema: 'QueueAssignment',
        dlqTopic: topics.dlq,
        leadIdOf: (a) => a.enriched.lead.lead_id,
        beforeChunk: async () => {
          if (nothingDue) await new Promise((resolve) => setTimeout(resolve, 1000));
          nothingDue = true;
        },
        handle: (a, ctx) => {
          const key = ctx.key?.toString() ?? a.enriched.lead.lead_id;
          if (a.held_until > now())
            return { kind: 'ok', outputs: [{ topic: topics.held, key, value: a }] };
          nothingDue = false;
          return {
            kind: 'ok',
            outputs: [{ topic: topics.assign, key, value: { ...a, held_until: 0 } }],
          };
        },
      };
      return [
        match as StageDefinition<unknown>,
        assign as StageDefinition<unknown>,
        held as StageDefinition<unknown>,
      ];
    },
  };
}

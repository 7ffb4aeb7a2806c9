import type { ChunkInfo, StageOutput, StageResult } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import { route } from '@lead-router/routing';
import type { QueueAssignment, RoutedLead } from '@lead-router/schemas';
import type { QueueStateStore } from './queue-state.store';
import type { RulesRegistry } from './rules.registry';
import { sourceOf, type StepContext } from './step.context';

/** On each routed lead: the router instance that assigned it, and the router.assign partition. */
export const ASSIGNED_BY_HEADER = 'lr-assigned-by';

export interface AssignStepDeps {
  /** This router instance, recorded on every lead it assigns (partition handovers show there). */
  instance: string;
  rules: RulesRegistry;
  store: QueueStateStore;
  topics: { routed: string; held: string };
  logger: Logger;
  now: () => number;
}

/**
 * router.assign -> distribute within the queue group, with state this instance owns because it
 * owns the group's partition -> leads.routed (key: lead id) and the state changelog; a lead
 * nobody can take now goes to router.held (key: lead id) with the time someone can.
 */
export class AssignStep {
  constructor(private readonly deps: AssignStepDeps) {}

  /** The instance (re)joined its group: the partitions it owns, and so its state, may differ. */
  onGroupJoin(): void {
    this.deps.store.invalidate();
  }

  /** A chunk's transaction failed: the state its partition advanced is read back from the changelog. */
  onTransactionFailed(chunk: ChunkInfo): void {
    this.deps.store.invalidate(chunk.partition);
  }

  beforeChunk(chunk: ChunkInfo): Promise<void> {
    return this.deps.store.restoreIfStale(chunk.partition);
  }

  /** The chunk's state snapshots, produced with its routed leads before its offsets commit. */
  async afterChunk(chunk: ChunkInfo): Promise<StageOutput[]> {
    return this.deps.store.drainSnapshots(chunk.partition);
  }

  async handle(a: QueueAssignment, ctx: StepContext): Promise<StageResult> {
    const { store, rules: registry, topics, logger, now } = this.deps;
    const group = a.queue_group;
    if (group !== '' && store.applied(group, ctx.partition, ctx.offset)) {
      // Routed and recorded before a rebalance cut the commit short: already on leads.routed.
      return { kind: 'ok', outputs: [] };
    }
    const source = sourceOf(ctx.headers);
    if (group !== '' && source && store.passed(group, ctx.partition, source)) {
      // The match step handled this lead twice (its replay after a crash): assigned already.
      logger.info(
        { leadId: a.enriched.lead.lead_id, group, source: `${source.partition}@${source.offset}` },
        'a lead the group already assigned or held, from the match step again: dropped',
      );
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
    const result = route(rules, a.enriched, store.states(group, ctx.partition), now());
    if (result.kind === 'hold') {
      // The hold changes no queue state; the group only notes that it passed this position.
      if (group !== '' && source) store.update(group, ctx.partition, ctx.offset, [], source);
      const skipped = result.decision.distribution?.skipped ?? [];
      logger.info(
        { leadId: a.enriched.lead.lead_id, until: new Date(result.until).toISOString(), skipped },
        'nobody can take the lead now: held',
      );
      return {
        kind: 'ok',
        outputs: [
          {
            // Keyed by lead id on the compacted router.held: the lead's one record there, until
            // the held queue releases it and writes its tombstone.
            topic: topics.held,
            key: a.enriched.lead.lead_id,
            value: { ...a, held_until: result.until },
          },
        ],
      };
    }
    if (group !== '') store.update(group, ctx.partition, ctx.offset, result.stateUpdates, source);
    const routed: RoutedLead = {
      lead: a.enriched.lead,
      enrichment: a.enriched.enrichment,
      decision: result.decision,
      destinations: result.destinations,
      fallbacks: result.fallbacks,
    };
    const assignedBy = `${this.deps.instance} router.assign/${ctx.partition}@${ctx.offset}`;
    return {
      kind: 'ok',
      outputs: [
        {
          topic: topics.routed,
          key: a.enriched.lead.lead_id,
          value: routed,
          headers: { [ASSIGNED_BY_HEADER]: assignedBy },
        },
      ],
    };
  }
}

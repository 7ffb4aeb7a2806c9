import type { StageResult } from '@lead-router/kafka';
import { queueGroupFor } from '@lead-router/routing';
import type { EnrichedLead, QueueAssignment } from '@lead-router/schemas';
import type { RulesRegistry } from './rules.registry';
import { SOURCE_HEADER, type StepContext } from './step.context';

export interface MatchStepDeps {
  rules: RulesRegistry;
  /** router.assign */
  assignTopic: string;
  now: () => number;
}

/**
 * leads.enriched -> evaluate the active rule-set version -> router.assign, re-keyed by the queue
 * group the lead goes to (the lead id for a fixed owner), so one instance assigns a group.
 */
export class MatchStep {
  constructor(private readonly deps: MatchStepDeps) {}

  handle(enriched: EnrichedLead, source?: Pick<StepContext, 'partition' | 'offset'>): StageResult {
    const rules = this.deps.rules.current;
    const group = queueGroupFor(rules, enriched);
    const assignment: QueueAssignment = {
      enriched,
      rule_set_id: rules.id,
      rule_set_version: rules.version,
      queue_group: group ?? '',
      matched_at: this.deps.now(),
      held_until: 0,
    };
    return {
      kind: 'ok',
      outputs: [
        {
          topic: this.deps.assignTopic,
          key: group ?? enriched.lead.lead_id,
          value: assignment,
          ...(source
            ? { headers: { [SOURCE_HEADER]: `${source.partition}@${source.offset}` } }
            : {}),
        },
      ],
    };
  }
}

import { LeadRouterError } from '@lead-router/errors';

/**
 * router.held is not compacted: a topic an earlier version created (delete policy, records keyed
 * by queue group) that the topic set-up leaves as it is. Not retriable: an operator moves it over
 * (docs/routing.md, "Held leads").
 */
export class HeldTopicError extends LeadRouterError {
  declare readonly code: 'held_topic_not_compacted';

  constructor(
    readonly topic: string,
    readonly policy: string,
  ) {
    super(
      `${topic} has cleanup.policy=${policy}; the held queue needs a compacted topic keyed by ` +
        'lead id: see "Held leads" in docs/routing.md to move an existing topic over',
      'held_topic_not_compacted',
      { retriable: false, context: { topic } },
    );
  }
}

import { LeadRouterError } from '@lead-router/errors';

/**
 * A compiled rule set refers to a queue or segment it does not define. Validation rules this out
 * for every rule set that was parsed, so it means a rule set built around the parser: a bug.
 */
export class RuleSetError extends LeadRouterError {
  constructor(message: string, context: { queue: string } | { segment: string }) {
    super(message, 'rule_set_inconsistent', { context });
  }
}

/** Text that is not a duration such as `90s`, `15m` or `24h`. */
export class DurationError extends LeadRouterError {
  constructor(readonly text: string) {
    super(`not a duration: ${text}`, 'invalid_duration', { context: { text } });
  }
}

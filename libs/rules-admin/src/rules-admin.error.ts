import { LeadRouterError, type ErrorContext } from '@lead-router/errors';
import type { RuleSetIssue } from '@lead-router/routing';

export type RulesAdminErrorCode = 'invalid' | 'conflict' | 'no_baseline';

/**
 * A rule operation refused, with what to do next in the message. `invalid` carries every issue
 * with its line and column; `conflict` means a published version would change content. None of
 * them passes on a retry: the rule set or the command has to change.
 */
export class RulesAdminError extends LeadRouterError {
  declare readonly code: RulesAdminErrorCode;

  constructor(
    message: string,
    code: RulesAdminErrorCode,
    readonly issues: readonly RuleSetIssue[] = [],
    context: ErrorContext = {},
  ) {
    super(message, code, { context });
  }
}

import { LeadRouterError } from '@lead-router/errors';
import type { RuleSetIssue } from '@lead-router/routing';

export type RulesFileErrorCode = 'rules_file_unreadable' | 'invalid_rule_set';

/**
 * The rule set the router starts with cannot be used. Not retriable: the file must be fixed
 * (every issue is listed with its line and column) or another one named.
 */
export class RulesFileError extends LeadRouterError {
  declare readonly code: RulesFileErrorCode;

  constructor(
    message: string,
    code: RulesFileErrorCode,
    readonly file: string,
    readonly issues: readonly RuleSetIssue[] = [],
    cause?: unknown,
  ) {
    super(message, code, { retriable: false, context: { file }, cause });
  }
}

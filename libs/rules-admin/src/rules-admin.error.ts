import type { RuleSetIssue } from '@lead-router/routing';

export type RulesAdminErrorCode = 'invalid' | 'conflict' | 'no_baseline';

/**
 * A rule operation refused, with what to do next in the message. `invalid` carries every issue
 * with its line and column; `conflict` means a published version would change content.
 */
export class RulesAdminError extends Error {
  constructor(
    message: string,
    readonly code: RulesAdminErrorCode,
    readonly issues: readonly RuleSetIssue[] = [],
  ) {
    super(message);
    this.name = 'RulesAdminError';
  }
}

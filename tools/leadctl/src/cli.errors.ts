import { LeadRouterError, type LeadRouterErrorOptions } from '@lead-router/errors';

/** What a refusal wraps and where it happened; a command is never retried by leadctl itself. */
export type CliFailureOptions = Omit<LeadRouterErrorOptions, 'retriable'>;

/** A refusal the user can fix by changing the input (exit code 1). */
export class CliFailure extends LeadRouterError {
  readonly exitCode: number = 1;

  constructor(message: string, code = 'command_failed', options: CliFailureOptions = {}) {
    super(message, code, options);
  }
}

/** The command line itself is wrong: a bad option value or combination (exit code 2). */
export class UsageError extends CliFailure {
  override readonly exitCode = 2;

  constructor(message: string, options: CliFailureOptions = {}) {
    super(message, 'usage', options);
  }
}

import { LeadRouterError, type ErrorContext } from '@lead-router/errors';

export type TraceIndexErrorCode = 'invalid_trace_table';

/**
 * The trace index cannot be used as configured. Not retriable: the same name fails again, so
 * the message says which setting (`INDEX_TABLE`, `--table`) to change.
 */
export class TraceIndexError extends LeadRouterError {
  declare readonly code: TraceIndexErrorCode;

  constructor(message: string, code: TraceIndexErrorCode, context: ErrorContext = {}) {
    super(message, code, { retriable: false, context });
  }
}

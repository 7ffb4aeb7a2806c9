import { LeadRouterError, type ErrorContext } from '@lead-router/errors';

export type LeadsTableErrorCode =
  | 'invalid_leads_table'
  | 'invalid_destination_tables'
  | 'too_many_rows'
  | 'leads_table_unavailable';

/**
 * The leads table cannot be written as configured or right now. `leads_table_unavailable` (the
 * database is down, the connection dropped) is retriable: the chunk's offsets stay uncommitted and
 * it is written again. The others fail the same way every time, so the message names the setting.
 */
export class LeadsTableError extends LeadRouterError {
  declare readonly code: LeadsTableErrorCode;

  constructor(
    message: string,
    code: LeadsTableErrorCode,
    options: { context?: ErrorContext; cause?: unknown } = {},
  ) {
    super(message, code, { ...options, retriable: code === 'leads_table_unavailable' });
  }
}

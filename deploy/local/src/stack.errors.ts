import { LeadRouterError, type LeadRouterErrorOptions } from '@lead-router/errors';

/**
 * What went wrong while fetching, starting or probing the local stack, and so what to do next:
 * `port_in_use` (pick another port or stop its owner), `artifact_missing` / `artifact_fetch_failed`
 * (check mvn and the cache), `process_exited` and `readiness_timeout` (read the log tails in the
 * message), `probe_failed` (retriable: the broker is not answering yet).
 */
export type StackErrorCode =
  | 'port_in_use'
  | 'artifact_missing'
  | 'artifact_fetch_failed'
  | 'fetch_lock_timeout'
  | 'command_failed'
  | 'storage_format_failed'
  | 'process_exited'
  | 'readiness_timeout'
  | 'probe_failed'
  | 'registry_config_failed'
  | 'bad_config';

export class StackError extends LeadRouterError {
  declare readonly code: StackErrorCode;

  constructor(message: string, code: StackErrorCode, options: LeadRouterErrorOptions = {}) {
    super(message, code, options);
  }
}

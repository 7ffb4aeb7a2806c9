import { LeadRouterError } from '@lead-router/errors';

/** A destination that cannot be delivered to as configured; retrying will not change that. */
export class DestinationError extends LeadRouterError {
  constructor(message: string, code: 'destination_without_url', destinationId: string) {
    super(message, code, { context: { destination: destinationId } });
  }
}

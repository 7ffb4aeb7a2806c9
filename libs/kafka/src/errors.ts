/** Where in Kafka a failing record sits. */
export interface RecordCoordinates {
  topic?: string;
  partition?: number;
  offset?: string;
  leadId?: string | null;
}

/**
 * The base error of the pipeline. `retriable` decides what the consumer loop does: a retriable
 * error leaves the offset uncommitted so the record is tried again; anything else sends the
 * record to the DLQ with `code` and the message.
 */
export class LeadRouterError extends Error {
  constructor(
    message: string,
    readonly code: string,
    readonly retriable: boolean,
    readonly coordinates: RecordCoordinates = {},
    options?: { cause?: unknown },
  ) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** The record cannot be read: wrong magic byte, unknown schema id, bytes that are not Avro. */
export class DecodeError extends LeadRouterError {
  constructor(message: string, coordinates: RecordCoordinates = {}, cause?: unknown) {
    super(message, 'decode_failed', false, coordinates, { cause });
  }
}

/** The record was read but its content is unusable; retrying will not help. */
export class InvalidRecordError extends LeadRouterError {
  constructor(message: string, code = 'invalid', coordinates: RecordCoordinates = {}) {
    super(message, code, false, coordinates);
  }
}

/** A dependency (broker, registry, destination) failed in a way that may pass. */
export class TransientError extends LeadRouterError {
  constructor(
    message: string,
    code = 'transient',
    coordinates: RecordCoordinates = {},
    cause?: unknown,
  ) {
    super(message, code, true, coordinates, { cause });
  }
}

export function isRetriable(err: unknown): boolean {
  if (err instanceof LeadRouterError) return err.retriable;
  // kafkajs marks its own retriable protocol errors this way.
  return (
    typeof err === 'object' && err !== null && (err as { retriable?: unknown }).retriable === true
  );
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

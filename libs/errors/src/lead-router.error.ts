/**
 * Where a failure happened: a record's coordinates in Kafka, the lead, and anything else that
 * helps the reader act on it (a destination, a file, a variable name). Never raw personal data.
 */
export interface ErrorContext {
  topic?: string;
  partition?: number;
  offset?: string;
  leadId?: string | null;
  [key: string]: unknown;
}

export interface LeadRouterErrorOptions {
  /** May the same work pass if tried again (a broker, registry or destination hiccup)? */
  retriable?: boolean;
  context?: ErrorContext;
  cause?: unknown;
}

/**
 * The one root of every error lead-router throws, in the spirit of kafkajs' `KafkaJSError`:
 * `code` is what callers branch on (and what lands in a dead letter), `retriable` what a consumer
 * loop does next (leave the offset uncommitted, or dead-letter the record), `context` where it
 * happened, and `cause` what it wraps.
 */
export class LeadRouterError extends Error {
  readonly code: string;
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(message: string, code: string, options: LeadRouterErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }
}

/** Is this error worth retrying? Ours say so; kafkajs marks its retriable protocol errors alike. */
export function isRetriable(error: unknown): boolean {
  if (error instanceof LeadRouterError) return error.retriable;
  return (
    typeof error === 'object' &&
    error !== null &&
    (error as { retriable?: unknown }).retriable === true
  );
}

export function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

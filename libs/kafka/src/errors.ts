import { LeadRouterError, type LeadRouterErrorOptions } from '@lead-router/errors';

/** Where and why, for the errors below; whether they may be retried is fixed by their class. */
export type KafkaErrorOptions = Omit<LeadRouterErrorOptions, 'retriable'>;

/** The record cannot be read: wrong magic byte, unknown schema id, bytes that are not Avro. */
export class DecodeError extends LeadRouterError {
  constructor(message: string, options: KafkaErrorOptions = {}) {
    super(message, 'decode_failed', { ...options, retriable: false });
  }
}

/** The record was read but its content is unusable; retrying will not help. */
export class InvalidRecordError extends LeadRouterError {
  constructor(message: string, code = 'invalid', options: KafkaErrorOptions = {}) {
    super(message, code, { ...options, retriable: false });
  }
}

/** A dependency (broker, registry, destination) failed in a way that may pass. */
export class TransientError extends LeadRouterError {
  constructor(message: string, code = 'transient', options: KafkaErrorOptions = {}) {
    super(message, code, { ...options, retriable: true });
  }
}

/** The broker did not acknowledge a send in time; the same send may pass on a retry. */
export class AckTimeoutError extends LeadRouterError {
  constructor(readonly timeoutMs: number) {
    super(`Kafka did not acknowledge within ${timeoutMs} ms`, 'ack_timeout', {
      retriable: true,
      context: { timeoutMs },
    });
  }
}

/** `encode` for a topic whose schema was never registered: a wiring bug, not a bad record. */
export class SchemaNotRegisteredError extends LeadRouterError {
  constructor(readonly topic: string) {
    super(
      `no schema registered for topic ${topic}; call register() at start`,
      'schema_not_registered',
      {
        context: { topic },
      },
    );
  }
}

/**
 * The schema registry refused a request. A server error or a lost race between services setting
 * the same subject's rule (409) may pass later; any other refusal will not.
 */
export class SchemaRegistryError extends LeadRouterError {
  constructor(message: string, subject: string, status: number) {
    super(message, 'registry_refused', {
      retriable: status >= 500 || status === 409,
      context: { subject, status },
    });
  }
}

export type TopicSetupErrorCode = 'topic_partitions_too_few' | 'topic_leaders_timeout';

/**
 * A topic is not fit to start on: it has fewer partitions than declared (fixed by an operator,
 * never by retrying), or its partitions got no leader in time (the cluster may still be starting).
 */
export class TopicSetupError extends LeadRouterError {
  declare readonly code: TopicSetupErrorCode;

  constructor(message: string, code: TopicSetupErrorCode, topics: readonly string[]) {
    super(message, code, {
      retriable: code === 'topic_leaders_timeout',
      context: { topics: [...topics] },
    });
  }
}

import { Kafka, logLevel as KafkaLogLevel, type KafkaConfig, type LogEntry } from 'kafkajs';
import type { Logger } from '@lead-router/observability';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

export interface KafkaOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  /** Overrides for tests and tuning; merged over the defaults below. */
  overrides?: Partial<KafkaConfig>;
}

/**
 * kafkajs 2.2.4 schedules a timer with a negative delay on Node 24, which prints a harmless
 * TimeoutNegativeWarning (tulios/kafkajs#1751). Drop that one warning by name; all others pass.
 */
function silenceKafkajsTimeoutWarning(): void {
  const emit = process.emitWarning as (...args: unknown[]) => void;
  if ((emit as { leadRouterPatched?: boolean }).leadRouterPatched) return;
  const patched = (warning: unknown, ...rest: unknown[]): void => {
    const option = rest[0];
    const name =
      warning instanceof Error
        ? warning.name
        : typeof option === 'string'
          ? option
          : (option as { type?: string } | undefined)?.type;
    if (name === 'TimeoutNegativeWarning') return;
    emit.call(process, warning, ...rest);
  };
  (patched as { leadRouterPatched?: boolean }).leadRouterPatched = true;
  process.emitWarning = patched as typeof process.emitWarning;
}

/** One kafkajs client per process, logging through the service's structured logger. */
export function createKafka({ brokers, clientId, logger, overrides }: KafkaOptions): Kafka {
  silenceKafkajsTimeoutWarning();
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: [...brokers],
    connectionTimeout: 3000,
    requestTimeout: 30000,
    // Retries outlast a broker restart (~15 s seen here) before a send is reported failed.
    retry: { initialRetryTime: 100, retries: 10, maxRetryTime: 5000 },
    logLevel: KafkaLogLevel.WARN,
    logCreator:
      () =>
      ({ level, log: entry }: LogEntry) => {
        const { message, ...rest } = entry;
        log[levels[level] ?? 'info'](rest, message);
      },
    ...overrides,
  });
}

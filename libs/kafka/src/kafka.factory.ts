import type { ConnectionOptions } from 'node:tls';
import {
  Kafka,
  logLevel as KafkaLogLevel,
  type KafkaConfig,
  type LogEntry,
  type SASLOptions,
} from 'kafkajs';
import type { Logger } from '@lead-router/observability';

const levels: Record<number, 'error' | 'warn' | 'info' | 'debug'> = {
  [KafkaLogLevel.ERROR]: 'error',
  [KafkaLogLevel.WARN]: 'warn',
  [KafkaLogLevel.INFO]: 'info',
  [KafkaLogLevel.DEBUG]: 'debug',
};

/** TLS towards the brokers, PEM text; without `ca` the system's CAs are trusted. */
export interface KafkaTlsOptions {
  ca?: string;
  cert?: string;
  key?: string;
}

export interface KafkaSaslOptions {
  mechanism: 'scram-sha-256' | 'scram-sha-512' | 'plain';
  username: string;
  password: string;
}

export interface KafkaOptions {
  brokers: readonly string[];
  clientId: string;
  logger: Logger;
  /** TLS (SSL, SASL_SSL); the broker's certificate is always verified. */
  ssl?: KafkaTlsOptions;
  /** SASL authentication (SASL_SSL, SASL_PLAINTEXT). */
  sasl?: KafkaSaslOptions;
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

/**
 * The longest the broker holds a fetch while no record is there: the Java client's
 * fetch.max.wait.ms. A record that arrives ends the wait at once; a shorter wait only makes an idle
 * consumer ask more often (bench/RESULTS.md, "the idle cost").
 */
export const FETCH_MAX_WAIT_MS = 500;

/** One kafkajs client per process, logging through the service's structured logger. */
export function createKafka({
  brokers,
  clientId,
  logger,
  ssl,
  sasl,
  overrides,
}: KafkaOptions): Kafka {
  silenceKafkajsTimeoutWarning();
  const log = logger.child({ component: 'kafkajs' });
  return new Kafka({
    clientId,
    brokers: [...brokers],
    ...(ssl !== undefined ? { ssl: tlsOptions(ssl) } : {}),
    // Read field by field: the config keeps the password out of enumeration (and so out of logs).
    ...(sasl !== undefined ? { sasl: saslOptions(sasl) } : {}),
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

function tlsOptions(ssl: KafkaTlsOptions): ConnectionOptions {
  return {
    rejectUnauthorized: true,
    ...(ssl.ca !== undefined ? { ca: [ssl.ca] } : {}),
    ...(ssl.cert !== undefined ? { cert: ssl.cert } : {}),
    ...(ssl.key !== undefined ? { key: ssl.key } : {}),
  };
}

function saslOptions(sasl: KafkaSaslOptions): SASLOptions {
  const { username, password } = sasl;
  switch (sasl.mechanism) {
    case 'plain':
      return { mechanism: 'plain', username, password };
    case 'scram-sha-256':
      return { mechanism: 'scram-sha-256', username, password };
    case 'scram-sha-512':
      return { mechanism: 'scram-sha-512', username, password };
  }
}

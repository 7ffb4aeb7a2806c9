import { join } from 'node:path';
import { loadTransportConfig, type TransportConfig } from '@lead-router/config';
import { AvroCodec, createKafka, type KafkaOptions } from '@lead-router/kafka';
import { startStack, type LocalStack } from '@lead-router/local-stack';
import type { Logger } from '@lead-router/observability';
import type { Kafka } from 'kafkajs';

export interface BenchStack {
  brokers: string;
  registryUrl: string;
  /** The stack this bench started (and must stop); undefined when the environment named one. */
  stack: LocalStack | undefined;
}

/**
 * The Kafka and registry a bench runs against: those KAFKA_BROKERS and SCHEMA_REGISTRY_URL name
 * (with the transport keys below when they need TLS, SASL or registry auth), else a local
 * PLAINTEXT stack started under `workDir`.
 */
export async function benchStack(workDir: string, say: (msg: string) => void): Promise<BenchStack> {
  const brokers = process.env['KAFKA_BROKERS'] ?? '';
  const registryUrl = process.env['SCHEMA_REGISTRY_URL'] ?? '';
  if (brokers !== '' && registryUrl !== '') return { brokers, registryUrl, stack: undefined };
  say('starting a local Kafka and registry');
  const stack = await startStack({ dataDir: join(workDir, 'stack'), log: (m) => say(m) });
  return { brokers: stack.brokers, registryUrl: stack.registryUrl, stack };
}

/**
 * The transport the environment sets (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_*,
 * SCHEMA_REGISTRY_USERNAME/PASSWORD, SCHEMA_REGISTRY_CA_FILE), read as the services read it;
 * the services a bench starts inherit the same environment.
 */
let transport: TransportConfig | undefined;
const benchTransport = (): TransportConfig => (transport ??= loadTransportConfig(process.env));

/** Every Kafka client of the benches: the brokers named, with the environment's TLS and SASL. */
export function benchKafka(
  brokers: string,
  clientId: string,
  logger: Logger,
  overrides?: KafkaOptions['overrides'],
): Kafka {
  return createKafka({
    brokers: brokers.split(','),
    clientId,
    logger,
    ...benchTransport().kafka,
    ...(overrides !== undefined ? { overrides } : {}),
  });
}

/**
 * Every registry codec of the benches, with the environment's registry auth and CA; `validate`
 * as AvroCodecOptions (the per-record schema check, on unless told).
 */
export function benchCodec(registryUrl: string, options: { validate?: boolean } = {}): AvroCodec {
  return AvroCodec.connect(registryUrl, { ...benchTransport().registry, ...options });
}

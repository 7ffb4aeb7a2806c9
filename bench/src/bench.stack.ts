import { join } from 'node:path';
import { startStack, type LocalStack } from '@lead-router/local-stack';

export interface BenchStack {
  brokers: string;
  registryUrl: string;
  /** The stack this bench started (and must stop); undefined when the environment named one. */
  stack: LocalStack | undefined;
}

/**
 * The Kafka and registry a bench runs against: those KAFKA_BROKERS and SCHEMA_REGISTRY_URL name,
 * else a local stack started under `workDir`.
 */
export async function benchStack(workDir: string, say: (msg: string) => void): Promise<BenchStack> {
  const brokers = process.env['KAFKA_BROKERS'] ?? '';
  const registryUrl = process.env['SCHEMA_REGISTRY_URL'] ?? '';
  if (brokers !== '' && registryUrl !== '') return { brokers, registryUrl, stack: undefined };
  say('starting a local Kafka and registry');
  const stack = await startStack({ dataDir: join(workDir, 'stack'), log: (m) => say(m) });
  return { brokers: stack.brokers, registryUrl: stack.registryUrl, stack };
}

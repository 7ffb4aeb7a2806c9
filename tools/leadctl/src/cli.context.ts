import { loadTransportConfig, type TransportConfig } from '@lead-router/config';
import { AvroCodec, BatchingProducer, createKafka } from '@lead-router/kafka';
import { createLogger } from '@lead-router/observability';
import type { RulesAdminDeps } from '@lead-router/rules-admin';
import { prefixedTopics } from '@lead-router/schemas';
import { DEFAULT_TRACE_TABLE } from '@lead-router/trace';
import type { Kafka } from 'kafkajs';
import { Pool } from 'pg';

/** The global options, each defaulting to the environment variable the services read. */
export interface GlobalOptions {
  brokers: string;
  registry: string;
  prefix: string;
  pg: string;
  table: string;
}

export const globalDefaults = (env: NodeJS.ProcessEnv = process.env): GlobalOptions => ({
  brokers: env['KAFKA_BROKERS'] || 'localhost:9092',
  registry: env['SCHEMA_REGISTRY_URL'] || 'http://localhost:8081/apis/ccompat/v7',
  prefix: env['TOPIC_PREFIX'] ?? '',
  pg: env['PG_URL'] || 'postgresql://postgres@127.0.0.1:5432/test',
  table: env['INDEX_TABLE'] || DEFAULT_TRACE_TABLE,
});

/**
 * What a command talks to, each created on first use and closed by `close()`. The clients log
 * nothing (stdout is the command's output); their failures surface as the command's error.
 */
export class CliContext {
  private kafkaClient: Kafka | null = null;
  private codecClient: AvroCodec | null = null;
  private producerClient: BatchingProducer | null = null;
  private poolClient: Pool | null = null;
  private transportConfig: TransportConfig | null = null;

  /**
   * `env` holds TLS, SASL and registry auth, read as the services read them
   * (KAFKA_SECURITY_PROTOCOL, KAFKA_SASL_*, KAFKA_SSL_*, SCHEMA_REGISTRY_USERNAME...): on first use,
   * so a command that needs neither Kafka nor the registry never trips over them.
   */
  constructor(
    readonly options: GlobalOptions,
    private readonly env: NodeJS.ProcessEnv = process.env,
  ) {}

  private get transport(): TransportConfig {
    this.transportConfig ??= loadTransportConfig(this.env);
    return this.transportConfig;
  }

  get topics(): ReturnType<typeof prefixedTopics> {
    return prefixedTopics(this.options.prefix);
  }

  get kafka(): Kafka {
    this.kafkaClient ??= createKafka({
      brokers: this.options.brokers.split(','),
      clientId: 'leadctl',
      logger: createLogger('leadctl', 'silent'),
      ...this.transport.kafka,
      overrides: { retry: { initialRetryTime: 100, retries: 3, maxRetryTime: 2000 } },
    });
    return this.kafkaClient;
  }

  get codec(): AvroCodec {
    this.codecClient ??= AvroCodec.connect(this.options.registry, this.transport.registry);
    return this.codecClient;
  }

  async producer(): Promise<BatchingProducer> {
    if (this.producerClient === null) {
      this.producerClient = BatchingProducer.create(this.kafka);
      await this.producerClient.connect();
    }
    return this.producerClient;
  }

  get pool(): Pool {
    this.poolClient ??= new Pool({ connectionString: this.options.pg, max: 1 });
    return this.poolClient;
  }

  async rulesAdmin(): Promise<RulesAdminDeps> {
    return {
      kafka: this.kafka,
      codec: this.codec,
      topicPrefix: this.options.prefix,
      producer: await this.producer(),
    };
  }

  async close(): Promise<void> {
    await this.producerClient?.disconnect();
    await this.poolClient?.end();
  }
}

export function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

import type { Provider } from '@nestjs/common';
import type { PlatformConfig } from '@lead-router/config';
import {
  AvroCodec,
  BatchingProducer,
  type BatchingProducerOptions,
  createKafka,
} from '@lead-router/kafka';
import {
  createLogger,
  createRegistry,
  createStageMetrics,
  type Logger,
} from '@lead-router/observability';
import { prefixedTopics } from '@lead-router/schemas';
import type { Kafka } from 'kafkajs';
import type { Registry } from 'prom-client';
import {
  CODEC,
  KAFKA,
  LOGGER,
  METRICS_REGISTRY,
  PLATFORM_CONFIG,
  PRODUCER,
  STAGE_METRICS,
  TOPICS,
} from './tokens';

/** The topic names and declarations of this environment (`TOPIC_PREFIX` applied): `TOPICS`. */
export type PrefixedTopics = ReturnType<typeof prefixedTopics>;

/** The Kafka client, producer, registry codec, logger and metrics: built here and nowhere else. */
export function platformProviders(
  service: string,
  config: PlatformConfig,
  producerOptions: BatchingProducerOptions = {},
): Provider[] {
  return [
    { provide: PLATFORM_CONFIG, useValue: config },
    { provide: LOGGER, useValue: createLogger(service, config.logLevel) },
    { provide: TOPICS, useValue: prefixedTopics(config.topicPrefix) },
    { provide: METRICS_REGISTRY, useFactory: () => createRegistry(service) },
    {
      provide: STAGE_METRICS,
      inject: [METRICS_REGISTRY],
      useFactory: (registry: Registry) => createStageMetrics(registry),
    },
    {
      provide: KAFKA,
      inject: [LOGGER],
      useFactory: (logger: Logger) => createKafka({ ...config.kafka, logger }),
    },
    {
      provide: PRODUCER,
      inject: [KAFKA],
      useFactory: (kafka: Kafka) => BatchingProducer.create(kafka, producerOptions),
    },
    {
      provide: CODEC,
      // Every value is checked against its schema before it is encoded in demo mode (the tests,
      // the e2e runs): a bad record fails at the producer there. Production skips the per-record
      // check; a value avsc cannot write still fails with the field named.
      useFactory: () =>
        AvroCodec.connect(config.registryUrl, {
          ...config.registryTransport,
          validate: config.mode === 'demo',
        }),
    },
  ];
}

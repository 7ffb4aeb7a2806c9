import {
  AvroCodec,
  BatchingProducer,
  createKafka,
  ensureTopics,
  TopicLimits,
  type StageRunnerDeps,
} from '@lead-router/kafka';
import { createLogger, createRegistry, createStageMetrics } from '@lead-router/observability';
import { prefixedTopics } from '@lead-router/schemas';
import { testStack, uniquePrefix } from '@lead-router/testing';
import type { Kafka } from 'kafkajs';
import { createPlatformaticBatchingProducer } from './platformatic.producer';

export interface KafkaFixture {
  kafka: Kafka;
  codec: AvroCodec;
  producer: BatchingProducer;
  prefix: string;
  topics: ReturnType<typeof prefixedTopics>['topics'];
  close(): Promise<void>;
}

/** Real broker and registry, with this test's own topics (created and registered). */
export async function kafkaFixture(name: string): Promise<KafkaFixture> {
  const stack = await testStack();
  const logger = createLogger(`test-${name}`, 'warn');
  const kafka = createKafka({ brokers: stack.brokers, clientId: `test-${name}`, logger });
  const prefix = uniquePrefix(name);
  const { topics, declarations } = prefixedTopics(prefix);
  await ensureTopics(kafka, declarations);
  const codec = AvroCodec.connect(stack.registryUrl);
  await codec.register(declarations);
  // KAFKA_TEST_CLIENT=platformatic runs the spec's producer on @platformatic/kafka (issue 15).
  const producer =
    process.env['KAFKA_TEST_CLIENT'] === 'platformatic'
      ? createPlatformaticBatchingProducer(
          { brokers: stack.brokers, clientId: `test-${name}`, logger },
          { limits: new TopicLimits(kafka) },
        )
      : BatchingProducer.create(kafka);
  await producer.connect();
  return { kafka, codec, producer, prefix, topics, close: () => producer.disconnect() };
}

/**
 * What a `StageRunner` needs to run on `fx`'s broker and producer: the codec of `writes` (the
 * fixture whose topics the stage writes, whose schemas that fixture registered; `fx` by default),
 * metrics of its own, a silent logger; `deps` overrides any of them or adds the rest.
 */
export function stageDeps(
  fx: KafkaFixture,
  { writes = fx, ...deps }: Partial<StageRunnerDeps> & { writes?: KafkaFixture } = {},
): StageRunnerDeps {
  return {
    kafka: fx.kafka,
    producer: fx.producer,
    codec: writes.codec,
    metrics: createStageMetrics(createRegistry('test')),
    logger: createLogger('test', 'silent'),
    ...deps,
  };
}

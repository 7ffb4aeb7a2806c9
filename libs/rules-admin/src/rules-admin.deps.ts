import type { AvroCodec, BatchingProducer } from '@lead-router/kafka';
import { prefixedTopics } from '@lead-router/schemas';
import type { Kafka } from 'kafkajs';

/** What the rule operations need: a Kafka client, the registry codec and the topic prefix. */
export interface RulesAdminDeps {
  kafka: Kafka;
  codec: AvroCodec;
  /** Prefixes every topic name (and the throwaway reader groups), as TOPIC_PREFIX does. */
  topicPrefix: string;
  /** The process's idempotent producer; a short-lived one is used when absent. */
  producer?: BatchingProducer;
  now?: () => number;
}

export function topicsOf(deps: RulesAdminDeps): ReturnType<typeof prefixedTopics> {
  return prefixedTopics(deps.topicPrefix);
}

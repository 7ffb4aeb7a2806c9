import { randomBytes } from 'node:crypto';
import { type AvroCodec, FETCH_MAX_WAIT_MS, ensureTopics, topicOffsets } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import type { RuleSetVersion, TopicDeclaration } from '@lead-router/schemas';
import type { Consumer, Kafka } from 'kafkajs';
import type { RulesRegistry } from './rules.registry';

export interface RulesTopicFollowerDeps {
  kafka: Kafka;
  codec: AvroCodec;
  logger: Logger;
  topic: TopicDeclaration;
  groupPrefix: string;
}

/**
 * Feeds the registry from the compacted routing.rules topic, which each router instance reads
 * in full (its own throwaway group, nothing committed) and follows, so a publish reaches every
 * instance within a fetch and no restart is needed.
 */
export class RulesTopicFollower {
  private consumer: Consumer | null = null;

  constructor(
    private readonly registry: RulesRegistry,
    private readonly deps: RulesTopicFollowerDeps,
  ) {}

  /** Reads the published versions up to now, then keeps following the topic. */
  async start(): Promise<void> {
    const { kafka, topic, groupPrefix } = this.deps;
    await ensureTopics(kafka, [topic]);
    const admin = kafka.admin();
    await admin.connect();
    const [end] = await topicOffsets(admin, topic.name).finally(() => admin.disconnect());
    const last = BigInt(end?.high ?? '0') - 1n;
    this.consumer = kafka.consumer({
      groupId: `${groupPrefix}.rules.${randomBytes(6).toString('hex')}`,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: topic.name, fromBeginning: true });
    let caughtUp: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (last < 0n) caughtUp();
    await this.consumer.run({
      autoCommit: false,
      eachMessage: async ({ message }) => {
        await this.accept(message.value);
        if (BigInt(message.offset) >= last) caughtUp();
      },
    });
    await ready;
  }

  async stop(): Promise<void> {
    await this.consumer?.disconnect();
  }

  private async accept(value: Buffer | null): Promise<void> {
    const { codec, logger } = this.deps;
    let published: RuleSetVersion;
    try {
      published = await codec.decode<RuleSetVersion>(value, 'RuleSetVersion');
    } catch (err) {
      logger.error({ err }, 'unreadable record on the rules topic, ignored');
      return;
    }
    this.registry.accept(published);
  }
}

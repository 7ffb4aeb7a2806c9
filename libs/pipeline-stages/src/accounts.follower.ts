import { randomBytes } from 'node:crypto';
import type { AccountIndex } from '@lead-router/accounts';
import { type AvroCodec, FETCH_MAX_WAIT_MS, ensureTopics, topicOffsets } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import type { Account, TopicDeclaration } from '@lead-router/schemas';
import type { OnApplicationShutdown } from '@nestjs/common';
import type { Consumer, Kafka } from 'kafkajs';

export interface AccountsFollowerDeps {
  kafka: Kafka;
  codec: AvroCodec;
  logger: Logger;
  topic: TopicDeclaration;
  groupPrefix: string;
}

/**
 * Keeps the accounts in memory from the compacted accounts topic: every enricher instance reads
 * it whole (its own throwaway group, nothing committed) up to the end offsets of the moment it
 * starts, and only then takes leads; after that it follows the topic, so an import reaches every
 * instance within a fetch. A tombstone (null value) deletes the account under its key.
 */
export class AccountsTopicFollower implements OnApplicationShutdown {
  private consumer: Consumer | null = null;

  constructor(
    readonly accounts: AccountIndex,
    private readonly deps: AccountsFollowerDeps,
  ) {}

  async start(): Promise<void> {
    const { kafka, topic, groupPrefix, logger } = this.deps;
    await ensureTopics(kafka, [topic]);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await topicOffsets(admin, topic.name).finally(() => admin.disconnect());
    const pending = new Map(
      offsets
        .filter((o) => BigInt(o.high) > BigInt(o.low))
        .map((o) => [o.partition, BigInt(o.high) - 1n]),
    );
    this.consumer = kafka.consumer({
      groupId: `${groupPrefix}.accounts.${randomBytes(6).toString('hex')}`,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    });
    await this.consumer.connect();
    await this.consumer.subscribe({ topic: topic.name, fromBeginning: true });
    let caughtUp: () => void = () => undefined;
    const ready = new Promise<void>((resolve) => (caughtUp = resolve));
    if (pending.size === 0) caughtUp();
    await this.consumer.run({
      autoCommit: false,
      eachBatch: async ({ batch }) => {
        for (const message of batch.messages) {
          await this.accept(message.key?.toString() ?? null, message.value);
        }
        const last = pending.get(batch.partition);
        // The batch's last offset, not its last message: compaction leaves gaps in offsets.
        if (last !== undefined && BigInt(batch.lastOffset()) >= last) {
          pending.delete(batch.partition);
          if (pending.size === 0) caughtUp();
        }
      },
    });
    await ready;
    logger.info({ accounts: this.accounts.size }, 'accounts loaded, following the topic');
  }

  async onApplicationShutdown(): Promise<void> {
    await this.consumer?.disconnect();
  }

  private async accept(key: string | null, value: Buffer | null): Promise<void> {
    const { codec, logger } = this.deps;
    if (value === null) {
      if (key !== null) this.accounts.delete(key);
      return;
    }
    try {
      this.accounts.put(await codec.decode<Account>(value, 'Account'));
    } catch (err) {
      logger.error({ err, key }, 'unreadable record on the accounts topic, ignored');
    }
  }
}

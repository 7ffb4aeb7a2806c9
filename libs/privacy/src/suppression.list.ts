import { randomBytes } from 'node:crypto';
import { type AvroCodec, ensureTopics } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import {
  type ErasureRequest,
  type TopicDeclaration,
  Topics,
  topicDeclarations,
} from '@lead-router/schemas';
import type { Consumer, Kafka } from 'kafkajs';
import { emailDigest } from './email.digest';
import type { Person } from './record.person';

export type ErasureListener = (request: ErasureRequest) => void | Promise<void>;

export interface SuppressionListOptions {
  kafka: Kafka;
  codec: AvroCodec;
  /** The erasures topic (its declaration, or its name with any prefix applied). */
  topic: TopicDeclaration | string;
  logger: Logger;
  /** Prefix of the list's throwaway consumer group (a service's group id, say). */
  groupPrefix?: string;
}

/**
 * The people no stage may process again, built from the compacted erasures topic.
 *
 * The rule: a request for a lead id suppresses every record of that lead, whenever received. A
 * request for an email suppresses the records of leads with that email received up to the
 * request's `requested_at`, and records that carry no receive time; a lead received after the
 * request is a new submission by the person, with new consent, and flows.
 *
 * `start` reads the topic to its end before it resolves, then follows it with a consumer of its
 * own group that never commits (every process reads it whole from the beginning), so a request
 * published later takes effect within a fetch (250 ms). The list only grows: requests are never
 * tombstoned, and a tombstone is ignored.
 */
export class SuppressionList {
  private readonly leads = new Map<string, ErasureRequest>();
  /** Email digest → the latest requested_at of a request for it. */
  private readonly emails = new Map<string, number>();
  private readonly requests = new Map<string, ErasureRequest>();
  private readonly listeners: { listener: ErasureListener; chain: Promise<void> }[] = [];
  private consumer: Consumer | null = null;
  private crashed = false;

  constructor(private readonly logger?: Logger) {}

  /** Reads the erasures topic to its end, then follows it. */
  static async start(options: SuppressionListOptions): Promise<SuppressionList> {
    const list = new SuppressionList(options.logger);
    await list.follow(options);
    return list;
  }

  /** Erasure requests known, one per subject. */
  get size(): number {
    return this.requests.size;
  }

  /** False once the following consumer crashed for good (kafkajs gave up restarting it). */
  get healthy(): boolean {
    return !this.crashed;
  }

  /** Is this lead id the subject of a request? */
  has(leadId: string): boolean {
    return this.leads.has(leadId);
  }

  /** Every request known, one per subject (the latest). */
  list(): ErasureRequest[] {
    return [...this.requests.values()];
  }

  /** Must this person's record be skipped? See the class comment for the rule. */
  suppresses(person: Person | null): boolean {
    if (person === null) return false;
    if (person.leadId !== null && this.leads.has(person.leadId)) return true;
    if (this.emails.size === 0 || person.email === null) return false;
    const digest = emailDigest(person.email);
    if (digest === null) return false;
    const requestedAt = this.emails.get(digest);
    if (requestedAt === undefined) return false;
    return person.receivedAtMs === null || person.receivedAtMs <= requestedAt;
  }

  /**
   * Takes a request into the list, then hands it to every listener. Called for each record of
   * the topic; also how a test or a one-shot tool builds a list by hand.
   */
  add(request: ErasureRequest): void {
    this.requests.set(request.subject_key, request);
    if (request.lead_id !== null) this.leads.set(request.lead_id, request);
    if (request.email_sha256 !== null) {
      const known = this.emails.get(request.email_sha256) ?? -Infinity;
      this.emails.set(request.email_sha256, Math.max(known, request.requested_at));
    }
    for (const entry of this.listeners) this.notify(entry, request);
  }

  /**
   * Calls `listener` with every request known now and every one that arrives after, one at a
   * time and in order; a listener that fails is logged and goes on with the next request, so it
   * must be idempotent and retry on its own what must not be lost. Returns the unsubscribe.
   */
  onRequest(listener: ErasureListener): () => void {
    const entry = { listener, chain: Promise.resolve() };
    this.listeners.push(entry);
    for (const request of this.requests.values()) this.notify(entry, request);
    return () => {
      const i = this.listeners.indexOf(entry);
      if (i >= 0) this.listeners.splice(i, 1);
    };
  }

  /** Resolves once every listener has handled every request handed to it so far. */
  async settled(): Promise<void> {
    await Promise.all(this.listeners.map((e) => e.chain));
  }

  async stop(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect();
  }

  private notify(entry: { listener: ErasureListener; chain: Promise<void> }, r: ErasureRequest) {
    entry.chain = entry.chain
      .then(() => entry.listener(r))
      .catch((err: unknown) => {
        this.logger?.error(
          { err, subject: r.subject_key },
          'erasure request listener failed; the request stays in force',
        );
      });
  }

  private async follow(options: SuppressionListOptions): Promise<void> {
    const { kafka, codec, logger } = options;
    const topic = declarationOf(options.topic);
    await ensureTopics(kafka, [topic]);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await admin.fetchTopicOffsets(topic.name).finally(() => admin.disconnect());
    const pending = new Map(
      offsets
        .filter((o) => BigInt(o.high) > BigInt(o.low))
        .map((o) => [o.partition, BigInt(o.high) - 1n]),
    );
    const consumer = kafka.consumer({
      groupId: `${options.groupPrefix ?? 'lead-router'}.erasures.${randomBytes(6).toString('hex')}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: 250,
    });
    this.consumer = consumer;
    let caughtUp: () => void = () => undefined;
    let failed: (err: unknown) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      caughtUp = resolve;
      failed = reject;
    });
    if (pending.size === 0) caughtUp();
    // The batch's last offset, not its last message: compaction leaves gaps in offsets, and
    // kafkajs hands a batch of nothing but control records to this event only.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const last = pending.get(payload.partition);
      if (last === undefined || payload.lastOffset === null) return;
      if (BigInt(payload.lastOffset) >= last) pending.delete(payload.partition);
      if (pending.size === 0) caughtUp();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart) return;
      this.crashed = true;
      logger.error({ err: payload.error, topic: topic.name }, 'erasures follower stopped');
      failed(payload.error);
    });
    try {
      await consumer.connect();
      await consumer.subscribe({ topic: topic.name, fromBeginning: true });
      await consumer.run({
        autoCommit: false,
        eachBatch: async ({ batch }) => {
          for (const message of batch.messages) {
            const key = message.key?.toString() ?? null;
            if (message.value === null) {
              logger.warn({ key }, 'tombstone on the erasures topic ignored: requests stay');
              continue;
            }
            try {
              this.add(await codec.decode<ErasureRequest>(message.value, 'ErasureRequest'));
            } catch (err) {
              logger.error({ err, key, offset: message.offset }, 'unreadable erasure request');
            }
          }
        },
      });
      await ready;
    } catch (err) {
      await this.stop().catch(() => undefined);
      throw err;
    }
    logger.info({ requests: this.size, topic: topic.name }, 'erasure requests loaded, following');
  }
}

/** A topic name (prefixed or not) as the erasures topic's declaration. */
function declarationOf(topic: TopicDeclaration | string): TopicDeclaration {
  if (typeof topic !== 'string') return topic;
  const erasures = topicDeclarations.find((d) => d.name === Topics.erasures)!;
  return { ...erasures, name: topic };
}

import { randomBytes } from 'node:crypto';
import { LeadRouterError, isRetriable } from '@lead-router/errors';
import {
  type AvroCodec,
  FETCH_MAX_WAIT_MS,
  ensureTopics,
  readToEnd,
  topicOffsets,
} from '@lead-router/kafka';
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

export interface ErasureRequestEvent {
  /**
   * The request was on the topic before the list had read it to its end (or before the listener
   * registered): a process start reads every request again, so a part that must act once per
   * request (write an outcome, say) skips these or keeps its own record of what it did.
   */
  known: boolean;
}

export type ErasureListener = (
  request: ErasureRequest,
  event: ErasureRequestEvent,
) => void | Promise<void>;

export interface SuppressionListOptions {
  kafka: Kafka;
  codec: AvroCodec;
  /** The erasures topic (its declaration, or its name with any prefix applied). */
  topic: TopicDeclaration | string;
  logger: Logger;
  /** Prefix of the list's throwaway consumer group (a service's group id, say). */
  groupPrefix?: string;
  /** How long `start` may take to read the topic to its end before it fails (default 60 s). */
  timeoutMs?: number;
}

/** The erasures topic could not be read to its end in time: no stage may start without it. */
export class SuppressionListUnavailableError extends LeadRouterError {
  constructor(topic: string, timeoutMs: number) {
    super(
      `the erasure requests on ${topic} were not read to their end within ${timeoutMs} ms`,
      'erasures_unavailable',
      { retriable: true, context: { topic } },
    );
  }
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
  /** Until the topic was read to its end, every request read is a known one. */
  private loaded = false;
  private stopped = false;
  private recovery: NodeJS.Timeout | undefined;

  constructor(private readonly logger?: Logger) {}

  /** Reads the erasures topic to its end, then follows it. */
  static async start(options: SuppressionListOptions): Promise<SuppressionList> {
    const list = new SuppressionList(options.logger);
    await list.follow(options);
    return list;
  }

  /**
   * The requests on the topic now, read once without following: for a one-shot tool (a DLQ
   * replay) that decides and exits. An erasures topic that does not exist yet holds none.
   */
  static async snapshot(
    options: Pick<SuppressionListOptions, 'kafka' | 'codec' | 'topic'>,
  ): Promise<SuppressionList> {
    const list = new SuppressionList();
    const name = declarationOf(options.topic).name;
    const admin = options.kafka.admin();
    await admin.connect();
    const exists = await admin
      .listTopics()
      .then((names) => names.includes(name))
      .finally(() => admin.disconnect());
    if (exists) {
      for (const { message } of await readToEnd(options.kafka, name)) {
        if (message.value === null) continue;
        list.add(await options.codec.decode<ErasureRequest>(message.value, 'ErasureRequest'));
      }
    }
    list.loaded = true;
    return list;
  }

  /** Has the list read the topic to its end (and follows it)? */
  get ready(): boolean {
    return this.loaded;
  }

  /** Erasure requests known, one per subject. */
  get size(): number {
    return this.requests.size;
  }

  /** False while the follower is down for good (kafkajs gave up on it) until it is replaced. */
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
  add(request: ErasureRequest, event: ErasureRequestEvent = { known: !this.loaded }): void {
    // The same request read again (a follower that restarted reads the topic from the start).
    const same = this.requests.get(request.subject_key);
    if (same !== undefined && same.requested_at === request.requested_at) return;
    this.requests.set(request.subject_key, request);
    if (request.lead_id !== null) this.leads.set(request.lead_id, request);
    if (request.email_sha256 !== null) {
      const known = this.emails.get(request.email_sha256) ?? -Infinity;
      this.emails.set(request.email_sha256, Math.max(known, request.requested_at));
    }
    for (const entry of this.listeners) this.notify(entry, request, event);
  }

  /**
   * Calls `listener` with every request known now and every one that arrives after, one at a
   * time and in order; a listener that fails is logged and goes on with the next request, so it
   * must be idempotent and retry on its own what must not be lost. Returns the unsubscribe.
   */
  onRequest(listener: ErasureListener): () => void {
    const entry = { listener, chain: Promise.resolve() };
    this.listeners.push(entry);
    for (const request of this.requests.values()) this.notify(entry, request, { known: true });
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
    this.stopped = true;
    clearTimeout(this.recovery);
    await this.disconnect();
  }

  private async disconnect(): Promise<void> {
    const consumer = this.consumer;
    this.consumer = null;
    await consumer?.disconnect();
  }

  /**
   * Replaces a follower kafkajs gave up on (it restarts the others itself): a new consumer reads
   * the topic again from the start after `delayMs`, doubling to 60 s while it cannot. The list
   * keeps what it knows meanwhile, and `healthy` is false.
   */
  private recover(options: SuppressionListOptions, delayMs: number): void {
    clearTimeout(this.recovery);
    this.recovery = setTimeout(() => {
      void (async () => {
        if (this.stopped) return;
        await this.disconnect().catch(() => undefined);
        try {
          await this.follow(options);
          options.logger.warn({ requests: this.size }, 'erasures follower replaced');
        } catch (err) {
          options.logger.error({ err, retryInMs: delayMs }, 'erasures follower still down');
          this.recover(options, Math.min(delayMs * 2, 60_000));
        }
      })();
    }, delayMs);
  }

  private notify(
    entry: { listener: ErasureListener; chain: Promise<void> },
    r: ErasureRequest,
    event: ErasureRequestEvent,
  ) {
    entry.chain = entry.chain
      .then(() => entry.listener(r, event))
      .catch((err: unknown) => {
        this.logger?.error(
          { err, subject: r.subject_key },
          'erasure request listener failed; the request stays in force',
        );
      });
  }

  /**
   * Reads the erasures topic to its end, then follows it; `SuppressionList.start` in one call.
   * For a list created before it can load (a provider others subscribe to with `onRequest`).
   */
  async follow(options: SuppressionListOptions): Promise<void> {
    if (this.consumer !== null) throw new Error('the suppression list already follows its topic');
    const { kafka, codec, logger } = options;
    const topic = declarationOf(options.topic);
    await ensureTopics(kafka, [topic]);
    const admin = kafka.admin();
    await admin.connect();
    const offsets = await topicOffsets(admin, topic.name).finally(() => admin.disconnect());
    const pending = new Map(
      offsets
        .filter((o) => BigInt(o.high) > BigInt(o.low))
        .map((o) => [o.partition, BigInt(o.high) - 1n]),
    );
    const consumer = kafka.consumer({
      groupId: `${options.groupPrefix ?? 'lead-router'}.erasures.${randomBytes(6).toString('hex')}`,
      allowAutoTopicCreation: false,
      maxWaitTimeInMs: FETCH_MAX_WAIT_MS,
    });
    this.consumer = consumer;
    let caughtUp: () => void = () => undefined;
    let failed: (err: unknown) => void = () => undefined;
    const ready = new Promise<void>((resolve, reject) => {
      caughtUp = resolve;
      failed = reject;
    });
    const whenCaughtUp = () => {
      this.loaded = true;
      caughtUp();
    };
    if (pending.size === 0) whenCaughtUp();
    // The batch's last offset, not its last message: compaction leaves gaps in offsets, and
    // kafkajs hands a batch of nothing but control records to this event only.
    consumer.on(consumer.events.END_BATCH_PROCESS, ({ payload }) => {
      const last = pending.get(payload.partition);
      if (last === undefined || payload.lastOffset === null) return;
      if (BigInt(payload.lastOffset) >= last) pending.delete(payload.partition);
      if (pending.size === 0) whenCaughtUp();
    });
    consumer.on(consumer.events.CRASH, ({ payload }) => {
      if (payload.restart || consumer !== this.consumer) return;
      this.crashed = true;
      logger.error({ err: payload.error, topic: topic.name }, 'erasures follower stopped');
      if (this.loaded) this.recover(options, 2_000);
      else failed(payload.error);
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
            let request: ErasureRequest;
            try {
              request = await codec.decode<ErasureRequest>(message.value, 'ErasureRequest');
            } catch (err) {
              // The registry down is no reason to drop a request: the batch is read again.
              if (isRetriable(err)) throw err;
              logger.error({ err, key, offset: message.offset }, 'unreadable erasure request');
              continue;
            }
            this.add(request);
          }
        },
      });
      const timeoutMs = options.timeoutMs ?? 60_000;
      let timer: NodeJS.Timeout | undefined;
      const timeout = new Promise<never>((_, reject) => {
        timer = setTimeout(
          () => reject(new SuppressionListUnavailableError(topic.name, timeoutMs)),
          timeoutMs,
        );
      });
      await Promise.race([ready, timeout]).finally(() => clearTimeout(timer));
    } catch (err) {
      await this.disconnect().catch(() => undefined);
      throw err;
    }
    this.crashed = false;
    logger.info({ requests: this.size, topic: topic.name }, 'erasure requests loaded, following');
  }
}

/** A topic name (prefixed or not) as the erasures topic's declaration. */
function declarationOf(topic: TopicDeclaration | string): TopicDeclaration {
  if (typeof topic !== 'string') return topic;
  const erasures = topicDeclarations.find((d) => d.name === Topics.erasures)!;
  return { ...erasures, name: topic };
}

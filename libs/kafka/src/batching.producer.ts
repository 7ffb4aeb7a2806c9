import { CompressionTypes, Partitioners, type Kafka, type Message, type Producer } from 'kafkajs';
import { AckTimeoutError } from './errors';
import { splitRequests } from './request.split';
import { TopicLimits } from './topic.limits';
import { TurnGatherer } from './turn.gatherer';

export interface OutgoingRecord {
  topic: string;
  key: string | Buffer | null;
  /** null: a tombstone, which deletes the key from a compacted topic. */
  value: Buffer | null;
  headers?: Record<string, string>;
}

export interface BatchingProducerOptions {
  /** How long a record may wait for others to share its request (Kafka's linger.ms). */
  lingerMs?: number;
  /** Flush as soon as this many records wait. */
  maxBatch?: number;
  /** Give up on an acknowledgement after this long (the caller answers 503, not 202). */
  ackTimeoutMs?: number;
  /**
   * Grouped requests of `send` awaiting their acknowledgement at once. Records arriving while
   * this many are in flight wait and leave together as soon as one returns, so batches grow
   * with the load instead of the request count (Kafka's max.in.flight, applied to batches).
   */
  maxInFlight?: number;
  /**
   * How large a record batch each topic takes: requests are cut to it. Without it, every topic
   * is taken to have the broker's default `message.max.bytes`; `create` reads them.
   */
  limits?: TopicLimits;
}

/** What BatchingProducer uses of a producer: kafkajs' has it, and so does a client's adapter. */
export type ProducerPort = Pick<Producer, 'connect' | 'disconnect' | 'sendBatch' | 'on' | 'events'>;

interface Pending {
  record: OutgoingRecord;
  resolve: () => void;
  reject: (err: unknown) => void;
  /** when `send` was called (performance.now()), so the ack timeout counts the wait in the queue */
  queuedAt: number;
}

/**
 * The process's one idempotent producer (acks=all). kafkajs sends one request per `send()` and
 * does not linger, so callers that produce one record at a time (ingest, one HTTP request per
 * lead) go through `send`, which groups records arriving within `lingerMs` into one `sendBatch`
 * and resolves each caller only when the broker has acknowledged its record.
 */
export class BatchingProducer {
  private queue: Pending[] = [];
  private timer: NodeJS.Timeout | null = null;
  private readonly lingerMs: number;
  private readonly maxBatch: number;
  private readonly ackTimeoutMs: number;
  private readonly maxInFlight: number;
  /** Each topic's `max.message.bytes`, read the first time a record goes there. */
  readonly limits: TopicLimits | null;
  private inFlight = 0;
  private idle: (() => void)[] = [];
  private connected = false;
  /** `sendTogether` callers of this turn of the event loop, sent as one request at its end. */
  private readonly together = new TurnGatherer<readonly OutgoingRecord[]>(
    (parts) => this.sendAll(parts.flat()),
    'each-alone',
  );

  constructor(
    readonly producer: ProducerPort,
    options: BatchingProducerOptions = {},
  ) {
    this.lingerMs = options.lingerMs ?? 2;
    this.maxBatch = options.maxBatch ?? 1000;
    this.ackTimeoutMs = options.ackTimeoutMs ?? 10_000;
    this.maxInFlight = options.maxInFlight ?? 2;
    this.limits = options.limits ?? null;
    producer.on(producer.events.CONNECT, () => (this.connected = true));
    producer.on(producer.events.DISCONNECT, () => (this.connected = false));
  }

  static create(kafka: Kafka, options?: BatchingProducerOptions): BatchingProducer {
    const producer = kafka.producer({
      idempotent: true,
      maxInFlightRequests: 5,
      allowAutoTopicCreation: false,
      // Java's murmur2 partitioner, so a lead's key lands where any Kafka client would put it.
      createPartitioner: Partitioners.DefaultPartitioner,
      // The idempotent producer retries without limit (its sequence numbers make that safe);
      // callers bound their wait with ackTimeoutMs instead.
      retry: { retries: Number.MAX_SAFE_INTEGER, initialRetryTime: 100, maxRetryTime: 3000 },
    });
    return new BatchingProducer(producer, { limits: new TopicLimits(kafka), ...options });
  }

  get isConnected(): boolean {
    return this.connected;
  }

  connect(): Promise<void> {
    return this.producer.connect();
  }

  /**
   * Resolves once the broker has acknowledged the record (acks=all); rejects with
   * AckTimeoutError when that has not happened within ackTimeoutMs of this call.
   */
  send(record: OutgoingRecord): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.queue.push({ record, resolve, reject, queuedAt: performance.now() });
      if (this.queue.length >= this.maxBatch) this.flush();
      else this.timer ??= setTimeout(() => this.flush(), this.lingerMs);
    });
  }

  /**
   * Sends many records now, as one request (one record batch per topic-partition), or as several
   * one after another when they hold more than `MAX_REQUEST_BYTES` or than a topic's
   * `max.message.bytes`; resolves when all are acked.
   */
  async sendAll(records: readonly OutgoingRecord[], timeoutMs = this.ackTimeoutMs): Promise<void> {
    if (records.length === 0) return;
    const deadline = performance.now() + timeoutMs;
    const send = async (): Promise<void> => {
      const { limits } = this;
      const loading = limits?.load(records.map((r) => r.topic));
      if (loading) await loading;
      for (const part of splitRequests(records, limits?.maxMessageBytes)) {
        // Past the deadline the caller was told the records failed and sends them again.
        if (performance.now() >= deadline) return;
        await this.producer.sendBatch({
          acks: -1,
          compression: CompressionTypes.None,
          topicMessages: groupByTopic(part),
        });
      }
    };
    await withTimeout(send(), timeoutMs);
  }

  /**
   * Sends the records as one request together with those other callers hand over in the same
   * turn of the event loop, and resolves when all are acknowledged. The partitions a stage
   * handles at once each produce their chunk's outputs, and kafkajs' idempotent producer has one
   * request in flight per broker: six chunks of one fetch would queue behind each other's round
   * trips and cost the broker six requests. If the shared request fails, each caller's records
   * are sent again on their own, so an error stays with the records that caused it.
   */
  sendTogether(records: readonly OutgoingRecord[]): Promise<void> {
    return records.length === 0 ? Promise.resolve() : this.together.add(records);
  }

  /** Sends what waits, lets every request in flight finish (acked or timed out), then leaves. */
  async disconnect(): Promise<void> {
    this.flush();
    if (this.inFlight > 0) await new Promise<void>((resolve) => this.idle.push(resolve));
    await this.producer.disconnect();
  }

  private flush(): void {
    if (this.timer) clearTimeout(this.timer);
    this.timer = null;
    // At the in-flight limit the queue waits: the next acknowledgement flushes it.
    if (this.queue.length === 0 || this.inFlight >= this.maxInFlight) return;
    const batch =
      this.queue.length > this.maxBatch ? this.queue.splice(0, this.maxBatch) : this.queue;
    if (batch === this.queue) this.queue = [];
    // The oldest record's deadline bounds the request, so no caller waits past ackTimeoutMs.
    const remaining = this.ackTimeoutMs - (performance.now() - batch[0]!.queuedAt);
    this.inFlight++;
    const sent =
      remaining > 0
        ? this.sendAll(
            batch.map((p) => p.record),
            remaining,
          )
        : Promise.reject(new AckTimeoutError(this.ackTimeoutMs));
    sent
      .then(
        () => batch.forEach((p) => p.resolve()),
        (err: unknown) => batch.forEach((p) => p.reject(err)),
      )
      .finally(() => {
        this.inFlight--;
        this.flush();
        if (this.inFlight === 0) this.idle.splice(0).forEach((resolve) => resolve());
      });
  }
}

export function groupByTopic(
  records: readonly OutgoingRecord[],
): { topic: string; messages: Message[] }[] {
  const byTopic = new Map<string, Message[]>();
  for (const r of records) {
    let messages = byTopic.get(r.topic);
    if (!messages) byTopic.set(r.topic, (messages = []));
    messages.push({ key: r.key, value: r.value, headers: r.headers });
  }
  return [...byTopic].map(([topic, messages]) => ({ topic, messages }));
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new AckTimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

import { ConfigResourceTypes, type Kafka } from 'kafkajs';

/** The broker's default `message.max.bytes`: what a topic takes unless its own config says. */
export const DEFAULT_MAX_MESSAGE_BYTES = 1_048_588;

/** A v2 record batch's header: what a batch holds besides its records. */
export const RECORD_BATCH_HEADER_BYTES = 61;

/** After a failed lookup, how long the broker's default stands in before the next try. */
const RETRY_AFTER_MS = 60_000;

interface Known {
  maxMessageBytes: number;
  /** when to ask again (a lookup that failed); Infinity when the topic answered */
  until: number;
  /** when the topic answered (epoch ms); 0 for a failed lookup's default */
  readAt: number;
}

/**
 * How large a record batch each topic takes: its `max.message.bytes`, which a topic inherits from
 * the broker's `message.max.bytes` unless set on the topic itself. A batch over it is refused
 * with MESSAGE_TOO_LARGE every time it is sent, so a producer cuts its requests to it and a stage
 * dead-letters an input whose output would be over it alone (`request.split.ts`). Read once per
 * topic with DescribeConfigs, the first time the process writes there; the broker's default
 * stands in until then, and for a minute after a lookup that failed (a principal without
 * DescribeConfigs, say), which is logged. A topic's limit changed later takes effect at the
 * process's next start, or at the next `refresh` a minute after it was read.
 */
export class TopicLimits {
  private readonly known = new Map<string, Known>();
  private loading: Promise<void> | null = null;

  constructor(
    private readonly kafka: Kafka,
    private readonly now: () => number = Date.now,
  ) {}

  /** The largest record batch `topic` takes, in bytes (the broker's default until it is known). */
  readonly maxMessageBytes = (topic: string): number =>
    this.known.get(topic)?.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;

  /** Whether `topic`'s limit was read (or a failed lookup's default still stands). */
  has(topic: string): boolean {
    const known = this.known.get(topic);
    // Asked for every record a stage writes: the clock only for a lookup that failed.
    return known !== undefined && (known.until === Infinity || known.until > this.now());
  }

  /** Whether the broker answered for `topic` (not a failed lookup's default standing in). */
  answered(topic: string): boolean {
    return this.known.get(topic)?.until === Infinity;
  }

  /** The largest record `topic` takes alone in its batch, as `recordBytes` counts it. */
  maxRecordBytes(topic: string): number {
    return this.maxMessageBytes(topic) - RECORD_BATCH_HEADER_BYTES;
  }

  /**
   * Looks up the topics whose limit is not known yet, in one request; null when every one is
   * known (the common case, which costs no promise). Never rejects: a failed lookup leaves the
   * broker's default in place.
   */
  load(topics: Iterable<string>): Promise<void> | null {
    const wanted = new Set<string>();
    for (const topic of topics) if (!this.has(topic)) wanted.add(topic);
    if (wanted.size === 0) return null;
    // One lookup at a time: the callers that come meanwhile wait for it, then look again.
    const previous = this.loading ?? Promise.resolve();
    // lookUp catches what the broker answers; a logger that throws must not reject a send either.
    const next = previous.then(() => this.lookUp([...wanted])).catch(() => undefined);
    this.loading = next;
    void next.then(() => {
      if (this.loading === next) this.loading = null;
    });
    return next;
  }

  /**
   * Reads `topic`'s limit again if its answer is a minute old or more; null, asking nothing, when
   * it is newer. For a record that waits on a limit (a dead letter over its DLQ's): a limit raised
   * since it was read takes effect without a restart. Never rejects, as `load`.
   */
  refresh(topic: string): Promise<void> | null {
    const known = this.known.get(topic);
    if (known?.until === Infinity) {
      if (this.now() - known.readAt < RETRY_AFTER_MS) return null;
      // Due for a lookup, the old limit still answering for the sends meanwhile.
      this.known.set(topic, { ...known, until: 0 });
    }
    return this.load([topic]);
  }

  private async lookUp(topics: string[]): Promise<void> {
    const unknown = topics.filter((t) => !this.has(t));
    if (unknown.length === 0) return;
    const admin = this.kafka.admin();
    try {
      await admin.connect();
      const { resources } = await admin.describeConfigs({
        includeSynonyms: false,
        resources: unknown.map((name) => ({
          type: ConfigResourceTypes.TOPIC,
          name,
          configNames: ['max.message.bytes'],
        })),
      });
      const unanswered = new Set(unknown);
      for (const resource of resources) {
        unanswered.delete(resource.resourceName);
        const entry = resource.configEntries.find((e) => e.configName === 'max.message.bytes');
        const bytes = Number(entry?.configValue);
        if (resource.errorCode === 0 && Number.isSafeInteger(bytes) && bytes > 0) {
          this.known.set(resource.resourceName, {
            maxMessageBytes: bytes,
            until: Infinity,
            readAt: this.now(),
          });
        } else {
          this.failed([resource.resourceName], resource.errorMessage ?? 'no max.message.bytes');
        }
      }
      if (unanswered.size > 0) this.failed([...unanswered], 'not in the answer');
    } catch (err) {
      this.failed(unknown, err instanceof Error ? err.message : String(err));
    } finally {
      await admin.disconnect().catch(() => undefined);
    }
  }

  private failed(topics: readonly string[], why: string): void {
    for (const topic of topics)
      this.known.set(topic, {
        maxMessageBytes: DEFAULT_MAX_MESSAGE_BYTES,
        until: this.now() + RETRY_AFTER_MS,
        readAt: 0,
      });
    this.kafka
      .logger()
      .warn(
        `could not read max.message.bytes of ${topics.join(', ')} (${why}): ` +
          `assuming the broker's default, ${DEFAULT_MAX_MESSAGE_BYTES} bytes, for a minute`,
        { topics: [...topics] },
      );
  }
}

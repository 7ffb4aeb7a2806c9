import type { SchemaName } from '@lead-router/schemas';
import type { SourceRecord } from './dead-letter';
import type { ExactlyOnceVersion } from './stage.transactions';

export interface RecordContext extends SourceRecord {
  /** Attempts so far for this record (1 on first processing, more after a DLQ replay). */
  attempts: number;
}

/** A record a stage hands on; the runner encodes `value` with the topic's registered schema. */
export interface StageOutput {
  topic: string;
  key: string;
  /** The record's value; null writes a tombstone (deletes the key of a compacted topic). */
  value: unknown;
  headers?: Record<string, string>;
}

export type StageResult =
  | { kind: 'ok'; outputs: StageOutput[] }
  | {
      kind: 'dead';
      code: string;
      error: string;
      attempts?: number;
      leadId?: string | null;
      /** Records to produce besides the dead letter (a FAILED delivery outcome, say). */
      outputs?: StageOutput[];
    };

/** The partition a chunk comes from, given to `beforeChunk` and `afterChunk`. */
export interface ChunkInfo {
  topic: string;
  partition: number;
}

/**
 * How the stage's consumer fetches: the broker answers a fetch once `minBytes` are there or
 * `maxWaitMs` has passed. A stage that sends in batches (a sink) lingers here, so records gather
 * in Kafka rather than in the process's memory.
 */
export interface FetchSettings {
  minBytes: number;
  maxWaitMs: number;
}

export interface StageDefinition<In> {
  /** The stage name: consumer group id (with the topic prefix) and metric label. */
  stage: string;
  groupId: string;
  topic: string;
  schema: SchemaName;
  dlqTopic: string;
  handle(input: In, ctx: RecordContext): StageResult | Promise<StageResult>;
  leadIdOf(input: In): string | null;
  /** Records handled at once within a partition's batch; records of one key stay in order. */
  concurrency?: number;
  /** Partitions processed at once (kafkajs partitionsConsumedConcurrently). */
  partitionsConcurrently?: number;
  /** Commit after at most this many records, so a large batch makes steady progress. */
  chunkSize?: number;
  /** The group's session timeout: how soon a killed instance's partitions move on. */
  sessionTimeoutMs?: number;
  /**
   * Called after the handler saw every record of a chunk and before its outputs are produced and
   * its offsets committed: a stage that writes elsewhere (a database) flushes its writes here, so
   * a failure leaves the offsets uncommitted and the chunk is processed again.
   */
  afterChunk?: (chunk: ChunkInfo) => Promise<StageOutput[] | void>;
  /**
   * Called before each chunk is handled (a stateful stage restores its state here). With
   * `partitionsConcurrently` above 1, chunks of different partitions run at the same time.
   */
  beforeChunk?: (chunk: ChunkInfo) => Promise<void>;
  /** Default: answer as soon as there is a record, waiting at most 100 ms. */
  fetch?: FetchSettings;
  /** Called when this instance (re)joins the group: its partitions may have changed. */
  onGroupJoin?: () => void;
  /**
   * When the record becomes due (epoch ms), or null when it is due now; usually read from the
   * `lr-due-at` header (`dueAtOf(ctx.headers)`). A record that is not due yet stays in Kafka: the
   * runner handles and commits the records before it, pauses its partition until it is due and
   * then reads it again, so nothing is re-produced while it waits and other partitions flow on.
   * Records behind it in its partition wait behind it.
   */
  dueAt?: (input: In, ctx: RecordContext) => number | null;
  /**
   * Exactly once: each chunk's outputs and its consumed offsets are written in one Kafka
   * transaction on the input partition's own transactional producer (`PartitionTransactions`),
   * so a record's outputs reach `read_committed` readers once however the process dies. Off, the
   * stage produces with the process's idempotent producer and commits after the acknowledgement
   * (at least once; consumers downstream are idempotent).
   */
  exactlyOnce?: boolean;
  /**
   * Exactly-once stages: `v2` (default) one transactional producer per process, fenced by the
   * group generation, the chunks ready at once in one transaction; `v1` one per input partition,
   * fenced by its id (`StageTransactions`, docs/architecture.md).
   */
  exactlyOnceVersion?: ExactlyOnceVersion;
  /**
   * Exactly-once v2: this process's name in its transactional ids (`<groupId>.<instanceId>`);
   * unique among the instances running at once, stable across a restart where it can be (a pod
   * name). Default: host name and process id.
   */
  instanceId?: string;
  /**
   * Exactly-once stages: a chunk's transaction failed (aborted, fenced, or its outcome unknown),
   * so the chunk will be read again. A stateful stage drops the state it built while handling the
   * chunk here and restores it from its changelog before the next chunk.
   */
  onTransactionFailed?: (chunk: ChunkInfo) => void;
}

/** The StageDefinition fields a service's configuration sets (service-kit's `stageSettings`). */
export type StageSettings = Pick<
  StageDefinition<unknown>,
  | 'groupId'
  | 'concurrency'
  | 'partitionsConcurrently'
  | 'sessionTimeoutMs'
  | 'fetch'
  | 'exactlyOnceVersion'
>;

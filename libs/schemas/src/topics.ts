import { allSchemas } from './generated/schemas';
import { servicesOfKind, type ServiceEntry } from './services.manifest';

export type SchemaName = keyof typeof allSchemas;

export interface TopicDeclaration {
  readonly name: string;
  /** The Avro record every value on this topic carries (registered as `<name>-value`). */
  readonly valueSchema: SchemaName;
  readonly partitions: number;
  readonly config: Readonly<Record<string, string>>;
}

/** Topic names: the one place they are spelled. */
export const Topics = {
  raw: 'leads.raw',
  normalized: 'leads.normalized',
  enriched: 'leads.enriched',
  routed: 'leads.routed',
  delivered: 'leads.delivered',
  /** Every try of a sink to deliver a lead to a destination, and every hold, with the answer. */
  attempts: 'leads.attempts',
  dlq: 'leads.dlq',
  /** Published rule-set versions, compacted by rule-set id. */
  rules: 'routing.rules',
  /** Internal to the router: matched leads re-keyed by queue group. */
  assign: 'router.assign',
  /**
   * Internal to the router: leads nobody can take yet, waiting for their `held_until`; compacted,
   * keyed by lead id, a tombstone once released.
   */
  held: 'router.held',
  /** Internal to the router: each queue group's distribution state, compacted. */
  queueState: 'router.queue-state',
  /** Customer accounts leads are matched to, compacted by account id (leadctl accounts import). */
  accounts: 'accounts',
  /** Internal to the enricher: leads and routed owners re-keyed by contact, for duplicates. */
  contacts: 'enricher.contacts',
  /** Internal to the enricher: the first lead of each contact in the window, compacted. */
  contactsSeen: 'enricher.contacts-seen',
  /** Ad-platform leads announced by id (Meta, LinkedIn), for source-fetcher to fetch. */
  sourcesFetch: 'sources.fetch',
  /**
   * Right-to-erasure requests (leadctl forget), compacted by subject (`lead:<id>` or
   * `email:<sha256>`) and never tombstoned: every stateful part honours them, and every stage
   * reads the topic whole to skip a forgotten person's records on any later replay.
   */
  erasures: 'privacy.erasures',
} as const;

export type TopicName = (typeof Topics)[keyof typeof Topics];

const week = String(7 * 24 * 3600 * 1000);
/**
 * The DLQ's `max.message.bytes`: 4 MiB. A dead letter holds its input record's key, value and
 * headers with the stage's own fields (the error among them), so an input near the broker's
 * default of 1 MiB a batch needs a DLQ that takes more, or the stage could not dead-letter it and
 * its partition would wait on it. The stages check their DLQ's limit at start (StageRunner).
 */
export const DLQ_MAX_MESSAGE_BYTES = 4 * 1024 * 1024;

const leadTopicConfig = { 'retention.ms': week, 'min.insync.replicas': '1' } as const;
const routedPartitions = 6;

/** A service of kind `sink` in the manifest. */
export type SinkName = Extract<ServiceEntry, { kind: 'sink' }>['name'];

/**
 * The delays after which a sink tries a delivery again, shortest first. Each is a topic per sink,
 * `<sink>.retry.<tier>`, read by a stage that gates on `lr-due-at`, so a waiting lead stays in
 * Kafka and never blocks the leads behind it on leads.routed.
 */
export const RETRY_TIERS = [
  { tier: '10s', delayMs: 10_000 },
  { tier: '1m', delayMs: 60_000 },
  { tier: '10m', delayMs: 10 * 60_000 },
  { tier: '1h', delayMs: 3_600_000 },
] as const;

export type RetryTierName = (typeof RETRY_TIERS)[number]['tier'];

export interface RetryTier {
  readonly tier: RetryTierName;
  readonly delayMs: number;
  /** The tier's topic, with the prefix applied. */
  readonly topic: string;
}

/** The topic of one retry tier of a sink: `<prefix><sink>.retry.<tier>`. */
export function retryTopic(sink: SinkName, tier: RetryTierName, prefix = ''): string {
  return `${prefix}${sink}.retry.${tier}`;
}

/** A sink's retry tiers, shortest first, with their delays and topics. */
export function retryTiers(sink: SinkName, prefix = ''): RetryTier[] {
  if (!servicesOfKind('sink').some((s) => s.name === sink)) {
    throw new RangeError(`${sink} is no sink in the services manifest`);
  }
  return RETRY_TIERS.map(({ tier, delayMs }) => ({
    tier,
    delayMs,
    topic: retryTopic(sink, tier, prefix),
  }));
}

/**
 * The tier that holds a lead for a wanted delay: the shortest whose delay is at least that long,
 * or the longest when none is. A delay of zero or less takes the shortest tier.
 */
export function retryTierFor(sink: SinkName, delayMs: number, prefix = ''): RetryTier {
  const tiers = retryTiers(sink, prefix);
  return tiers.find((t) => t.delayMs >= delayMs) ?? tiers[tiers.length - 1]!;
}

/**
 * How many times source-fetcher tries a lead again after its first fetch failed; try n waits on
 * its own topic, `sources.fetch.retry.<n>`, whose records all wait the same delay, so a record
 * never waits behind one due later.
 */
export const SOURCE_FETCH_RETRIES = 4;

/** The topic of source-fetcher's n-th retry (1-based): `<prefix>sources.fetch.retry.<n>`. */
export function sourceFetchRetryTopic(n: number, prefix = ''): string {
  if (!Number.isInteger(n) || n < 1 || n > SOURCE_FETCH_RETRIES) {
    throw new RangeError(`source-fetcher has retries 1 to ${SOURCE_FETCH_RETRIES}, not ${n}`);
  }
  return `${prefix}${Topics.sourcesFetch}.retry.${n}`;
}

/**
 * Every topic the pipeline owns, with its partitions and configs. Partition count bounds the
 * parallelism of a stage (one consumer instance per partition at most); six gives room to
 * scale each stage to six instances without repartitioning, which would break per-lead order.
 */
export const topicDeclarations: readonly TopicDeclaration[] = [
  { name: Topics.raw, valueSchema: 'RawLead', partitions: 6, config: leadTopicConfig },
  {
    name: Topics.normalized,
    valueSchema: 'NormalizedLead',
    partitions: 6,
    config: leadTopicConfig,
  },
  { name: Topics.enriched, valueSchema: 'EnrichedLead', partitions: 6, config: leadTopicConfig },
  {
    name: Topics.routed,
    valueSchema: 'RoutedLead',
    partitions: routedPartitions,
    config: leadTopicConfig,
  },
  {
    name: Topics.delivered,
    valueSchema: 'DeliveryOutcome',
    partitions: 6,
    config: leadTopicConfig,
  },
  {
    name: Topics.attempts,
    valueSchema: 'DeliveryAttempt',
    partitions: 6,
    config: leadTopicConfig,
  },
  // Compacted: the latest version of every rule set is kept forever, older ones until cleaned.
  {
    name: Topics.rules,
    valueSchema: 'RuleSetVersion',
    partitions: 1,
    config: { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': String(24 * 3600 * 1000) },
  },
  { name: Topics.assign, valueSchema: 'QueueAssignment', partitions: 6, config: leadTopicConfig },
  // Compacted and keyed by lead id: a held lead is written once, and its release writes a
  // tombstone in the same transaction that sends it back to router.assign. The router rebuilds its
  // due-time index from here, so nothing ages out while a lead waits, however long; tombstones stay
  // a day, far longer than a rebuild takes to read past them.
  {
    name: Topics.held,
    valueSchema: 'QueueAssignment',
    partitions: 6,
    config: {
      'cleanup.policy': 'compact',
      'segment.ms': String(60 * 60 * 1000),
      'min.cleanable.dirty.ratio': '0.1',
      'delete.retention.ms': String(24 * 3600 * 1000),
    },
  },
  // Co-partitioned with router.assign (same key, same count): the instance that owns a queue
  // group's partition restores that group's state from the same partition number here.
  {
    name: Topics.queueState,
    valueSchema: 'QueueStateSnapshot',
    partitions: 6,
    config: {
      'cleanup.policy': 'compact',
      'segment.ms': String(10 * 60 * 1000),
      'min.cleanable.dirty.ratio': '0.1',
    },
  },
  // Compacted: the latest record of every account is kept; a tombstone (null value) deletes one.
  // Every enricher reads it whole, so the partition count only spreads the import.
  {
    name: Topics.accounts,
    valueSchema: 'Account',
    partitions: 3,
    config: {
      'cleanup.policy': 'compact',
      'segment.ms': String(60 * 60 * 1000),
      'min.cleanable.dirty.ratio': '0.1',
      'delete.retention.ms': String(24 * 3600 * 1000),
    },
  },
  // Compacted and never tombstoned: the latest request per subject is kept forever, so a replay
  // from the start of any topic, however late, still skips the person. One partition because
  // every instance of every stage reads it whole, and requests are few.
  {
    name: Topics.erasures,
    valueSchema: 'ErasureRequest',
    partitions: 1,
    config: {
      'cleanup.policy': 'compact',
      'segment.ms': String(24 * 3600 * 1000),
      'min.cleanable.dirty.ratio': '0.1',
    },
  },
  {
    name: Topics.sourcesFetch,
    valueSchema: 'SourceLeadReference',
    partitions: 6,
    config: leadTopicConfig,
  },
  ...Array.from({ length: SOURCE_FETCH_RETRIES }, (_, i): TopicDeclaration => ({
    name: sourceFetchRetryTopic(i + 1),
    valueSchema: 'SourceLeadReference',
    partitions: 6,
    config: leadTopicConfig,
  })),
  { name: Topics.contacts, valueSchema: 'ContactCheck', partitions: 6, config: leadTopicConfig },
  // Co-partitioned with enricher.contacts (same key, same count): the instance that owns a
  // contact's partition there restores the same partition here. Compacted and deleted after 30
  // days, the longest duplicate window, so contacts seen once do not pile up.
  {
    name: Topics.contactsSeen,
    valueSchema: 'ContactSeen',
    partitions: 6,
    config: {
      'cleanup.policy': 'compact,delete',
      'retention.ms': String(30 * 24 * 3600 * 1000),
      'segment.ms': String(3600 * 1000),
      'min.cleanable.dirty.ratio': '0.1',
    },
  },
  // The DLQ keeps records for a month: long enough for someone to notice, inspect and replay.
  // A dead letter is its input's bytes and its own fields, so it takes larger records than any
  // topic a stage reads (DLQ_MAX_MESSAGE_BYTES).
  {
    name: Topics.dlq,
    valueSchema: 'DeadLetter',
    partitions: 3,
    config: {
      'retention.ms': String(30 * 24 * 3600 * 1000),
      'max.message.bytes': String(DLQ_MAX_MESSAGE_BYTES),
    },
  },
  // Each sink's retry tiers, from the manifest: a new sink gets its own. A lead may wait behind
  // others longer than its tier's delay (a destination parked for its daily quota), so the topics
  // keep a week, far above the longest tier.
  ...servicesOfKind('sink').flatMap((sink) =>
    retryTiers(sink.name).map((t): TopicDeclaration => ({
      name: t.topic,
      valueSchema: 'RoutedLead',
      partitions: routedPartitions,
      config: { 'cleanup.policy': 'delete', ...leadTopicConfig },
    })),
  ),
];

/** The registry subject for a topic's values (Confluent's TopicNameStrategy). */
export function valueSubject(topic: string): string {
  return `${topic}-value`;
}

/**
 * Declarations with a prefix applied to every name, so tests and parallel environments can run
 * side by side on one cluster.
 */
export function prefixedTopics(prefix: string): {
  topics: { [K in keyof typeof Topics]: string };
  declarations: TopicDeclaration[];
} {
  const topics = Object.fromEntries(
    Object.entries(Topics).map(([k, v]) => [k, `${prefix}${v}`]),
  ) as { [K in keyof typeof Topics]: string };
  return {
    topics,
    declarations: topicDeclarations.map((d) => ({ ...d, name: `${prefix}${d.name}` })),
  };
}

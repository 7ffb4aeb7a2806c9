/**
 * One process of the raw chain (raw-chain.part.ts): its hops, each a kafkajs consumer group that
 * answers every record it reads with the next topic's real record bytes (and the read record's
 * slot header, in a latency run), with the runtime's client settings and nothing else (no
 * decoding, no handler); a webhook hop POSTs each record's webhook first, as sink-webhook does.
 * An Avro hop (`HopSpec.avro`) decodes what it reads and encodes what it writes, and builds its
 * webhooks from the leads it decoded. Runs until SIGTERM.
 *
 *   node bench/dist/raw-hop.main.js <config.json>   (a HopProcessConfig; started by rawChain)
 */
import { readFileSync } from 'node:fs';
import { DEFAULT_EXACTLY_ONCE } from '@lead-router/config';
import { encodedWebhookRequest, signWebhook } from '@lead-router/delivery';
import {
  AvroCodec,
  BatchingProducer,
  PartitionTransactions,
  ProcessTransactions,
  type OutgoingRecord,
  type StageTransactions,
} from '@lead-router/kafka';
import { createLogger, type Logger } from '@lead-router/observability';
import { runLimited } from '@lead-router/sink-runtime';
import { prefixedTopics, type RoutedLead, type SchemaName } from '@lead-router/schemas';
import type {
  Consumer,
  ConsumerGroupMetadata,
  EachBatchPayload,
  Kafka,
  KafkaMessage,
} from 'kafkajs';
import { Agent } from 'undici';
import { benchCodec, benchKafka } from './bench.stack';
import {
  HOP_FIRST_BATCH,
  HOP_JOINED,
  HOP_TRANSACTION,
  SLOT_HEADER,
  WEBHOOK_IN_FLIGHT,
  decodePool,
  recordOf,
  type HopProcessConfig,
  type HopSpec,
  type SampleRecord,
  type TopicKey,
} from './raw-chain.part';

interface RunningHop {
  consumer: Consumer;
  transactions: StageTransactions | null;
}

async function main(): Promise<void> {
  const file = process.argv[2];
  if (file === undefined) throw new Error('usage: raw-hop.main.js <config.json>');
  const config = JSON.parse(readFileSync(file, 'utf8')) as HopProcessConfig;
  // info: the group joins and first batches below are read back by rawChain
  const logger = createLogger(config.clientId, 'info');
  const kafka = benchKafka(config.brokers, config.clientId, logger);
  const { topics, declarations } = prefixedTopics(config.prefix);
  const schemaOf = (key: TopicKey): SchemaName =>
    declarations.find((d) => d.name === topics[key])!.valueSchema;
  const pools = new Map<TopicKey, SampleRecord[]>();
  for (const hop of config.hops)
    for (const key of hop.to) {
      const poolFile = config.pools[key];
      if (poolFile === undefined) throw new Error(`${hop.name}: no pool file for ${key}`);
      if (!pools.has(key)) pools.set(key, decodePool(readFileSync(poolFile)));
    }

  // One idempotent producer per process, as a service has (platform.providers.ts).
  const producer = BatchingProducer.create(kafka, { ackTimeoutMs: 60_000 });
  await producer.connect();
  const webhooks =
    config.webhook === undefined
      ? null
      : new WebhookSender(
          config.webhook,
          decodePool(readFileSync(config.webhook.bodies)).map((r) => r.value!),
        );
  // Without the per-record schema check, as the services encode in production; every topic's
  // schema registered at start, as a service registers them (PipelineLifecycle), so a record
  // written under one of them is read with the codec's own reader type, as a stage reads it.
  const codec =
    config.registryUrl === undefined ? null : benchCodec(config.registryUrl, { validate: false });
  if (codec !== null) await codec.register(declarations);
  else if (config.hops.some((h) => h.avro))
    throw new Error('an Avro hop and no registry in the config');
  const running: RunningHop[] = [];
  for (const hop of config.hops) {
    const outputs: HopOutput[] = [];
    for (const key of hop.to) {
      const pool = pools.get(key)!;
      outputs.push({
        topic: topics[key],
        pool,
        values: hop.avro ? await avroValues(codec!, schemaOf(key), pool) : undefined,
      });
    }
    running.push(
      await startHop(kafka, hop, `${config.prefix}raw-chain.${hop.name}`, topics[hop.from], {
        producer,
        outputs,
        logger,
        webhooks: hop.webhook ? webhooks : null,
        decode: hop.avro ? decoder(codec!, schemaOf(hop.from)) : null,
        codec,
      }),
    );
  }

  let stopping = false;
  process.on('SIGTERM', () => {
    if (stopping) return;
    stopping = true;
    void (async () => {
      for (const hop of running) {
        await hop.consumer.disconnect();
        await hop.transactions?.disconnect();
      }
      await producer.disconnect();
      process.exit(0);
    })();
  });
}

/** One topic a hop writes: its pool, and for an Avro hop the pool's values decoded. */
interface HopOutput {
  topic: string;
  pool: readonly SampleRecord[];
  values: readonly unknown[] | undefined;
}

/** The pool's values decoded, for an Avro hop to encode again. */
async function avroValues(
  codec: AvroCodec,
  schema: SchemaName,
  pool: readonly SampleRecord[],
): Promise<unknown[]> {
  const values: unknown[] = [];
  for (const r of pool) values.push(await codec.decode(r.value!, schema));
  return values;
}

/**
 * A chunk's values decoded as a stage decodes them: in one synchronous pass while their writer
 * schemas are known, a record of an unknown writer awaited (its schema is fetched once).
 */
function decoder(
  codec: AvroCodec,
  schema: SchemaName,
): (messages: readonly KafkaMessage[]) => Promise<unknown[]> {
  return async (messages) => {
    const values: unknown[] = [];
    for (const { value } of messages)
      values.push(
        codec.canDecodeSync(value)
          ? codec.decodeSync(value!, schema)
          : await codec.decode(value!, schema),
      );
    return values;
  };
}

/**
 * A hop's consumer with StageRunner's settings (the bench's 10 s session, 1 MB per partition, its fetch,
 * `partitionsConsumedConcurrently`, chunks of 500, no auto-commit): each chunk's outputs are
 * produced and acknowledged, then its offset committed; an exactly-once hop commits outputs
 * and offset in one transaction instead: on the partition's transactional producer, or under
 * exactly-once v2 on the process's, as the stage runner (KAFKA_EXACTLY_ONCE, inherited from the
 * bench's environment like the services it compares with).
 */
async function startHop(
  kafka: Kafka,
  hop: HopSpec,
  groupId: string,
  topic: string,
  deps: {
    producer: BatchingProducer;
    outputs: readonly HopOutput[];
    logger: Logger;
    webhooks: WebhookSender | null;
    /** an Avro hop's decoding of what it reads */
    decode: ((messages: readonly KafkaMessage[]) => Promise<unknown[]>) | null;
    codec: AvroCodec | null;
  },
): Promise<RunningHop> {
  if (hop.webhook && deps.webhooks === null)
    throw new Error(`${hop.name}: a webhook hop and no webhook in the config`);
  const consumer = kafka.consumer({
    groupId,
    allowAutoTopicCreation: false,
    // KAFKA_SESSION_TIMEOUT_MS as the pipeline bench sets it for its services
    sessionTimeout: 10_000,
    heartbeatInterval: 3_000,
    maxBytesPerPartition: 1_048_576,
    minBytes: hop.fetch.minBytes,
    maxWaitTimeInMs: hop.fetch.maxWaitMs,
  });
  // read back by rawChainLatency, run by run
  const onCommitted = (seconds: Readonly<Record<'send' | 'offsets' | 'commit', number>>) =>
    deps.logger.info(
      {
        hop: hop.name,
        at: Date.now(),
        sendMs: seconds.send * 1000,
        offsetsMs: seconds.offsets * 1000,
        commitMs: seconds.commit * 1000,
      },
      HOP_TRANSACTION,
    );
  const v2 = (process.env['KAFKA_EXACTLY_ONCE'] ?? DEFAULT_EXACTLY_ONCE) === 'v2';
  const transactions: StageTransactions | null = !hop.exactlyOnce
    ? null
    : v2
      ? new ProcessTransactions({
          kafka,
          transactionalId: `${groupId}.${process.pid}`,
          logger: deps.logger,
          onCommitted,
        })
      : new PartitionTransactions({
          kafka,
          transactionalIdPrefix: groupId,
          logger: deps.logger,
          onCommitted,
        });
  let produced = 0;
  let joined = false;
  let member: ConsumerGroupMetadata = { generationId: -1, memberId: '' };
  consumer.on(consumer.events.GROUP_JOIN, ({ payload }) => {
    member = { generationId: payload.generationId, memberId: payload.memberId };
    if (!joined) deps.logger.info({ hop: hop.name, sinceSpawnMs: sinceSpawnMs() }, HOP_JOINED);
    joined = true;
  });
  const onBatch = async ({
    batch,
    resolveOffset,
    heartbeat,
    isRunning,
    isStale,
  }: EachBatchPayload) => {
    const { partition, messages } = batch;
    if (produced === 0 && messages.length > 0)
      deps.logger.info({ hop: hop.name, sinceSpawnMs: sinceSpawnMs() }, HOP_FIRST_BATCH);
    for (let i = 0; i < messages.length; i += 500) {
      if (!isRunning() || isStale()) break;
      const chunk = messages.slice(i, i + 500);
      const decoded = deps.decode === null ? null : await deps.decode(chunk);
      if (hop.webhook)
        await deps
          .webhooks!.postAll(
            chunk.map((m) => `${groupId}.${partition}.${m.offset}`),
            decoded as RoutedLead[] | null,
          )
          .catch(failed);
      const records: OutgoingRecord[] = [];
      for (const message of chunk) {
        const slot = message.headers?.[SLOT_HEADER]?.toString();
        for (const out of deps.outputs) {
          const record = recordOf(out.topic, out.pool, produced, slot);
          if (out.values !== undefined)
            record.value = deps.codec!.encode(out.topic, out.values[produced % out.values.length]);
          records.push(record);
        }
        produced++;
      }
      const last = chunk[chunk.length - 1]!.offset;
      const next = (BigInt(last) + 1n).toString();
      if (transactions) {
        const offsets = { groupId, topic, partition, offset: next };
        await transactions.commit(partition, records, offsets, member);
        resolveOffset(last);
      } else {
        await deps.producer.sendAll(records);
        resolveOffset(last);
        await consumer.commitOffsets([{ topic, partition, offset: next }]);
      }
      await heartbeat();
    }
  };
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachBatchAutoResolve: false,
    partitionsConsumedConcurrently: hop.partitionsConcurrently,
    eachBatch: onBatch,
  });
  return { consumer, transactions };
}

/**
 * A webhook hop's requests: each a signed Standard Webhooks POST of the next body of the pool,
 * or of the body the sink's builder makes of the decoded lead (an Avro hop), over keep-alive
 * HTTP/1.1 connections without pipelining and a dispatch handler that makes no response stream,
 * as sink-webhook's WebhookClient sends them; nothing else (the answer is only checked for its
 * status).
 */
class WebhookSender {
  private readonly agent = new Agent({ connections: WEBHOOK_IN_FLIGHT, pipelining: 1 });
  private readonly origin: string;
  private readonly path: string;
  private sent = 0;

  constructor(
    private readonly config: { url: string; secret: string },
    private readonly bodies: readonly Buffer[],
  ) {
    const url = new URL(config.url);
    this.origin = url.origin;
    this.path = `${url.pathname}${url.search}`;
  }

  /**
   * One request for each webhook id, at most WEBHOOK_IN_FLIGHT at once (the sink's own
   * `runLimited`); throws unless all got a 2xx.
   */
  async postAll(ids: readonly string[], leads: readonly RoutedLead[] | null): Promise<void> {
    await runLimited(
      ids.map((id, i) => () => this.post(id, leads?.[i])),
      WEBHOOK_IN_FLIGHT,
    );
  }

  private post(id: string, lead: RoutedLead | undefined): Promise<void> {
    const { body, headers } = lead === undefined ? this.pooled(id) : this.built(id, lead);
    return new Promise((resolve, reject) => {
      let status = 0;
      this.agent.dispatch(
        { origin: this.origin, path: this.path, method: 'POST', headers, body },
        {
          // undici asserts every one of these is there, though its types make some optional
          onRequestStart: () => undefined,
          onResponseStart: (_controller, statusCode) => {
            status = statusCode;
          },
          onResponseData: () => undefined,
          onResponseEnd: () =>
            status >= 200 && status < 300
              ? resolve()
              : reject(new Error(`the receiver answered ${status} to webhook ${id}`)),
          onResponseError: (_controller, err) => reject(err),
        },
      );
    });
  }

  /** The next body of the pool, signed. */
  private pooled(id: string): { body: Buffer; headers: Record<string, string> } {
    const body = this.bodies[this.sent++ % this.bodies.length]!;
    const timestamp = Math.floor(Date.now() / 1000);
    const headers = {
      'content-type': 'application/json',
      'webhook-id': id,
      'webhook-timestamp': String(timestamp),
      'webhook-signature': signWebhook(this.config.secret, id, timestamp, body),
    };
    return { body, headers };
  }

  /** The lead's webhook as sink-webhook builds it, for the lead's webhook destination. */
  private built(id: string, lead: RoutedLead): { body: Buffer; headers: Record<string, string> } {
    const destination = lead.destinations.find((d) => d.type === 'webhook');
    if (destination === undefined)
      throw new Error(`lead ${lead.lead.lead_id}: no webhook destination`);
    return encodedWebhookRequest(lead, destination, this.config.secret, Date.now() / 1000, id);
  }
}

/**
 * Ends the process on a failed webhook: the chain's receiver answers every request at once, so a
 * failure is the bench's own, and rawChain reports the exit with this log's tail instead of
 * waiting for its deadline while kafkajs retries the batch.
 */
function failed(err: unknown): never {
  process.stderr.write(
    `webhook failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
}

/** The process's age: it was spawned when the chain's clock started. */
function sinceSpawnMs(): number {
  return Math.round(process.uptime() * 1000);
}

main().catch((err: unknown) => {
  process.stderr.write(
    `raw hop failed: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`,
  );
  process.exit(1);
});

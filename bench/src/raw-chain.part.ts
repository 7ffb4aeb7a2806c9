import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, openSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import {
  BatchingProducer,
  ensureTopics,
  headersToStrings,
  readRanges,
  timeWindowRanges,
  wholeTopicRanges,
  type OutgoingRecord,
  type PartitionRange,
  type TransactionPhase,
} from '@lead-router/kafka';
import { encodedWebhookRequest } from '@lead-router/delivery';
import { SERVICE_NODE_FLAGS } from '@lead-router/local-stack';
import { Topics, prefixedTopics, type RoutedLead } from '@lead-router/schemas';
import type { Admin, Kafka } from 'kafkajs';
import { benchCodec } from './bench.stack';
import type { BrokerRequests, RequestMix } from './broker-requests.part';
import { BENCH_WEBHOOK_SECRET } from './pipeline.part';
import {
  cpuSeconds,
  openModel,
  peakRssMb,
  percentile,
  sampleOf,
  sleep,
  slotLatencies,
  TRANSACTION_PHASES,
  TRANSACTION_STEPS,
  type SlotLatencies,
  type TransactionTimes,
} from './proc.stats';

/** A topic of the pipeline, by its key in `Topics` (`raw`, `normalized`, `assign`, ...). */
export type TopicKey = keyof typeof Topics;

/** One record as it lies on a topic: the bytes of its key, value and headers. */
export interface SampleRecord {
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

/**
 * Reads up to `n` records of a topic from its earliest offsets (spread over its partitions, each
 * from its start), with a throwaway group that commits nothing. A transactional topic's commit
 * markers take offsets too, so it can yield a little fewer than `n`; an empty topic yields none.
 */
export async function sampleTopicRecords(
  kafka: Kafka,
  topic: string,
  n: number,
): Promise<SampleRecord[]> {
  const whole = await wholeTopicRanges(kafka, topic);
  const ranges: PartitionRange[] = whole.map((r) => ({ ...r, end: r.start }));
  // Hand out the n offsets a partition at a time, so each gives as many as it has up to an
  // equal share.
  let wanted = BigInt(n);
  for (let open = whole.length; wanted > 0n && open > 0;) {
    const share = (wanted + BigInt(open) - 1n) / BigInt(open);
    open = 0;
    for (const [i, r] of ranges.entries()) {
      const left = BigInt(whole[i]!.end) - BigInt(r.end);
      const take = left < share ? left : share < wanted ? share : wanted;
      r.end = (BigInt(r.end) + take).toString();
      wanted -= take;
      if (left > take) open++;
    }
  }
  const records = await readRanges(kafka, topic, ranges, 'bench.sample.');
  return records.slice(0, n).map(({ message }) => ({
    key: message.key,
    value: message.value,
    headers: headersToStrings(message.headers),
  }));
}

/** The topics a chain reads first or produces onto: those it needs a pool of records for. */
export function chainTopicKeys(
  processes: readonly ChainProcessSpec[] = PIPELINE_CHAIN,
): TopicKey[] {
  const hops = processes.flatMap((p) => p.hops);
  return [...new Set([...hops.slice(0, 1).map((h) => h.from), ...hops.flatMap((h) => h.to)])];
}

/**
 * `sampleTopicRecords` of every topic the chain needs, read from a pipeline run's topics
 * (`topicPrefix`, as the run's TOPIC_PREFIX): the `pools` of `rawChain`.
 */
export async function sampleChainPools(
  kafka: Kafka,
  topicPrefix: string,
  n: number,
  processes: readonly ChainProcessSpec[] = PIPELINE_CHAIN,
): Promise<Partial<Record<TopicKey, SampleRecord[]>>> {
  const { topics } = prefixedTopics(topicPrefix);
  const pools: Partial<Record<TopicKey, SampleRecord[]>> = {};
  for (const k of chainTopicKeys(processes))
    pools[k] = await sampleTopicRecords(kafka, topics[k], n);
  return pools;
}

/** The average value size of the records, in bytes (0 for none). */
export function averageValueBytes(records: readonly SampleRecord[]): number {
  if (records.length === 0) return 0;
  const total = records.reduce((sum, r) => sum + (r.value?.length ?? 0), 0);
  return Math.round(total / records.length);
}

/**
 * How a hop's consumer fetches: the broker answers once `minBytes` are there or `maxWaitMs`
 * passed.
 */
export interface HopFetch {
  minBytes: number;
  maxWaitMs: number;
}

/** One consume→produce hop: for each record read from `from`, one record onto each of `to`. */
export interface HopSpec {
  name: string;
  from: TopicKey;
  to: readonly TopicKey[];
  /**
   * outputs and consumed offsets in transactions, cut as KAFKA_EXACTLY_ONCE says
   * (raw-hop.main.ts)
   */
  exactlyOnce: boolean;
  partitionsConcurrently: number;
  fetch: HopFetch;
  /**
   * Before its outputs, a signed POST of each record's webhook to the chain's receiver
   * (`RawChainOptions.webhook`), as sink-webhook delivers a chunk: at most WEBHOOK_IN_FLIGHT
   * requests of a chunk at once over as many keep-alive connections, every answer awaited.
   */
  webhook?: boolean;
  /**
   * Each record read decoded and each output encoded with the runtime's Avro codec on the
   * registry (without the per-record schema check, as in production), the outputs' values those
   * of the topic's pool; a webhook hop builds each request from the decoded RoutedLead with the
   * sink's own builder (`encodedWebhookRequest`) instead of taking a body made before the run.
   * What the design's Avro topics and the webhook contract cost a stage before its own logic.
   */
  avro?: boolean;
}

/** One process running one or more hops, as a service runs its stages. */
export interface ChainProcessSpec {
  name: string;
  hops: readonly HopSpec[];
}

/** A stage service's fetch (libs/service-kit `stageSettings`, KAFKA_FETCH_MAX_WAIT_MS' default). */
const STAGE_FETCH: HopFetch = { minBytes: 1, maxWaitMs: 500 };
/**
 * Without STAGE_PARTITIONS_CONCURRENTLY a stage handles every partition it is given at once
 * (StageRunner): the pipeline's topics have six.
 */
const STAGE_PARTITIONS = 6;

/**
 * The pipeline's Kafka hops after ingest, read from the services' stage definitions:
 *  - normalizer: leads.raw → leads.normalized, at least once;
 *  - enricher: leads.normalized → leads.enriched, at least once (duplicate detection is off
 *    unless ENRICH_DUPLICATES_WINDOW is set, and the bench does not set it);
 *  - router (one process, two consumer groups, libs/routing-runtime router.stages.ts): match,
 *    leads.enriched → router.assign, and assign, router.assign → leads.routed, both exactly once
 *    (the assign step's queue-state snapshot per chunk is left out here);
 *  - sink-webhook: leads.routed → an HTTP request per lead (left out here), leads.delivered and
 *    leads.attempts, at least once, fetching as sink-webhook sets SINK_FETCH_MIN_BYTES (1) and
 *    SINK_LINGER_MS (100).
 */
export const PIPELINE_CHAIN: readonly ChainProcessSpec[] = [
  {
    name: 'normalizer',
    hops: [
      {
        name: 'normalizer',
        from: 'raw',
        to: ['normalized'],
        exactlyOnce: false,
        partitionsConcurrently: STAGE_PARTITIONS,
        fetch: STAGE_FETCH,
      },
    ],
  },
  {
    name: 'enricher',
    hops: [
      {
        name: 'enricher',
        from: 'normalized',
        to: ['enriched'],
        exactlyOnce: false,
        partitionsConcurrently: STAGE_PARTITIONS,
        fetch: STAGE_FETCH,
      },
    ],
  },
  {
    name: 'router',
    hops: [
      {
        name: 'router',
        from: 'enriched',
        to: ['assign'],
        exactlyOnce: true,
        partitionsConcurrently: STAGE_PARTITIONS,
        fetch: STAGE_FETCH,
      },
      {
        name: 'router-assign',
        from: 'assign',
        to: ['routed'],
        exactlyOnce: true,
        partitionsConcurrently: STAGE_PARTITIONS,
        fetch: STAGE_FETCH,
      },
    ],
  },
  {
    name: 'sink-webhook',
    hops: [
      {
        name: 'sink-webhook',
        from: 'routed',
        to: ['delivered', 'attempts'],
        exactlyOnce: false,
        partitionsConcurrently: STAGE_PARTITIONS,
        fetch: { minBytes: 1, maxWaitMs: 100 },
      },
    ],
  },
];

/**
 * sink-webhook's requests at once per chunk and its connections per destination (SINK_MAX_IN_FLIGHT
 * and WebhookClient's defaults).
 */
export const WEBHOOK_IN_FLIGHT = 64;

/**
 * PIPELINE_CHAIN with the one request its sink hop leaves out: each lead's webhook POSTed to the
 * receiver before the hop writes leads.delivered. What is left out still is everything a stage does
 * to a lead (decoding, normalizing, enriching, routing, building the webhook's body), so this
 * chain is what the pipeline's path costs when its stages do no work: Kafka's five hops and
 * the webhook contract's request, signature and answer.
 */
export const PIPELINE_CHAIN_WITH_WEBHOOK: readonly ChainProcessSpec[] = PIPELINE_CHAIN.map((p) => ({
  ...p,
  hops: p.hops.map((h) => (h.name === 'sink-webhook' ? { ...h, webhook: true } : h)),
}));

/**
 * PIPELINE_CHAIN_WITH_WEBHOOK with the Avro every stage must read and write (`HopSpec.avro`):
 * each hop decodes what it reads and encodes what it writes, and the sink hop builds each webhook
 * from the lead it decoded. Still left out is each stage's own logic (normalizing, enriching,
 * matching rules, assigning owners, the budget and the breakers), so this chain is the floor of the
 * pipeline's path built of the design's parts: Kafka's hops, Avro on every topic, the webhook.
 */
export const PIPELINE_CHAIN_WITH_AVRO: readonly ChainProcessSpec[] =
  PIPELINE_CHAIN_WITH_WEBHOOK.map((p) => ({
    ...p,
    hops: p.hops.map((h) => ({ ...h, avro: true })),
  }));

/**
 * What sink-webhook sent for sampled routed records of a pipeline run: each one's signed request
 * to its webhook destination (the receiver), its body as the sink builds it; a chain's `webhook`.
 */
export async function chainWebhookFor(
  registryUrl: string,
  routed: readonly SampleRecord[],
): Promise<ChainWebhook> {
  const codec = benchCodec(registryUrl);
  const requests = [];
  for (const record of routed) {
    const lead = await codec.decode<RoutedLead>(record.value!, 'RoutedLead');
    const destination = lead.destinations.find((d) => d.type === 'webhook');
    if (destination === undefined) continue;
    requests.push(
      encodedWebhookRequest(lead, destination, BENCH_WEBHOOK_SECRET, Date.now() / 1000),
    );
  }
  if (requests.length === 0) throw new Error('no sampled routed lead has a webhook destination');
  return {
    url: requests[0]!.url,
    bodies: requests.map((r) => r.body),
    secret: BENCH_WEBHOOK_SECRET,
  };
}

/** Where a chain's webhook hop sends, and what. */
export interface ChainWebhook {
  /** the receiver's URL, as the pipeline's webhook destination names it */
  url: string;
  /** the bodies, cycled: Standard Webhooks envelopes of this run's routed leads, as sent */
  bodies: readonly Buffer[];
  /** the Standard Webhooks secret every request is signed with */
  secret: string;
}

/** What raw-hop.main.js reads from the file named on its command line. */
export interface HopProcessConfig {
  brokers: string;
  clientId: string;
  /** the chain's topic prefix; a hop's group is `<prefix>raw-chain.<hop name>` */
  prefix: string;
  hops: readonly HopSpec[];
  /** the pool file of each topic a hop produces onto */
  pools: Partial<Record<TopicKey, string>>;
  /** for a webhook hop: the receiver, the secret, and the bodies' pool file (values only) */
  webhook?: { url: string; secret: string; bodies: string };
  /** the schema registry, for a hop that decodes and encodes (`HopSpec.avro`) */
  registryUrl?: string;
}

export interface RawChainOptions {
  kafka: Kafka;
  brokers: string;
  /** topic and group prefix of the chain, unique to the run */
  prefix: string;
  /** leads put on the first topic before the hops start */
  count: number;
  /**
   * Real records of each topic the chain reads first or produces (`sampleTopicRecords` of the
   * pipeline's topics): record i of a hop's output is record i mod pool size of its topic's pool,
   * key, value and headers, so sizes and key spread (router.assign's queue-group keys) are real.
   */
  pools: Partial<Record<TopicKey, readonly SampleRecord[]>>;
  /** where the pool files, hop configs and hop logs go */
  workDir: string;
  /** default PIPELINE_CHAIN */
  processes?: readonly ChainProcessSpec[];
  /** required when a hop of `processes` sends webhooks */
  webhook?: ChainWebhook;
  /** required when a hop of `processes` decodes and encodes (`HopSpec.avro`) */
  registryUrl?: string;
  /** other processes (the broker, the registry) whose CPU seconds over the run are reported too */
  otherPids?: Readonly<Record<string, number>>;
  /** default 600 s */
  timeoutMs?: number;
  say?: (msg: string) => void;
}

export interface ChainProcessFigures {
  name: string;
  hops: string[];
  cpuSeconds: number;
  peakRssMb: number;
  /** per hop, seconds from the spawn to its group's first join and to its first batch */
  started: Record<string, { joinedSeconds: number; firstBatchSeconds: number }>;
}

/** The messages of the lines a hop process logs at its first group join and first batch. */
export const HOP_JOINED = 'joined the group';
export const HOP_FIRST_BATCH = 'first batch';
/** Logged by an exactly-once hop for each transaction it committed, with its phases' times. */
export const HOP_TRANSACTION = 'transaction committed';

export interface RawChainFigures {
  count: number;
  hops: number;
  /** putting the leads on the first topic, before the hop processes were spawned */
  fillSeconds: number;
  /** from the spawn of the hop processes to the last record on the final topic */
  seconds: number;
  leadsPerSec: number;
  /**
   * From the spawn to the first record on the final topic: the processes' start, their groups'
   * joins and the first record's way through every hop (seen by polling every 100 ms).
   */
  firstSeconds: number;
  /** from the first record on the final topic to the last: the chain once it flows */
  flowingLeadsPerSec: number;
  processes: ChainProcessFigures[];
  /** CPU µs per lead of the hop processes, summed */
  hopCpuMicrosPerLead: number;
  /** CPU seconds over the same span of each of `otherPids` */
  otherCpuSeconds: Record<string, number>;
  /** average value bytes of each topic's pool */
  recordBytes: Partial<Record<TopicKey, number>>;
}

/**
 * The pipeline's hops with nothing but Kafka in them: each process of `processes` is a child
 * process (raw-hop.main.js, with the services' Node flags) whose hops are kafkajs consumer
 * groups with `eachBatch` and the runtime's client settings (StageRunner's consumer settings,
 * BatchingProducer's idempotent producer with acks=-1 and the commit after the acknowledgement,
 * for an exactly-once hop the transactions of the bench's KAFKA_EXACTLY_ONCE: ProcessTransactions
 * under v2, the default, PartitionTransactions under v1), each record answered by the next
 * topic's real record bytes.
 * Timed as the pipeline is: from the spawn of the processes to the `count`-th record on the last
 * hop's first output topic (which must be written outside transactions, so its offsets count
 * records).
 */
export async function rawChain(opts: RawChainOptions): Promise<RawChainFigures> {
  const say = opts.say ?? (() => undefined);
  const chain = await prepareChain(opts);
  const { hops, keys, topics, first, finalTopic } = chain;
  const admin = opts.kafka.admin();
  await admin.connect();
  let children: ChainChild[] = [];
  try {
    await leadersAnswer(
      admin,
      keys.map((k) => topics[k]),
    );
    say(`   raw chain: ${opts.count} records onto ${topics[first.from]}`);
    const fillSeconds = await fill(
      opts.kafka,
      topics[first.from],
      chain.pool(first.from),
      opts.count,
    );

    const other0 = mapValues(opts.otherPids ?? {}, cpuSeconds);
    const t0 = performance.now();
    children = spawnChain(opts, chain);

    const deadline = Date.now() + (opts.timeoutMs ?? 600_000);
    let lastSaid = Date.now();
    let firstAt: number | undefined;
    for (;;) {
      const done = await offsetsSum(admin, finalTopic);
      if (done > 0) firstAt ??= performance.now();
      if (done >= opts.count) break;
      assertChainRunning(children);
      if (Date.now() > deadline)
        throw new Error(`raw chain: ${done}/${opts.count} on ${finalTopic} at the timeout`);
      if (Date.now() - lastSaid >= 5_000) {
        lastSaid = Date.now();
        const counts = await Promise.all(keys.map((k) => offsetsSum(admin, topics[k])));
        say(
          `   raw chain ${((performance.now() - t0) / 1000).toFixed(0)} s: ` +
            keys.map((k, i) => `${k} ${counts[i]}`).join(', ') +
            ' (offsets; transaction markers included)',
        );
      }
      await sleep(100);
    }
    const lastAt = performance.now();
    const seconds = (lastAt - t0) / 1000;
    const firstSeconds = ((firstAt ?? lastAt) - t0) / 1000;
    const figures = children.map(({ spec, child, log }) => ({
      name: spec.name,
      hops: spec.hops.map((h) => h.name),
      cpuSeconds: cpuSeconds(child.pid!),
      peakRssMb: peakRssMb(child.pid!) ?? NaN,
      started: hopStarts(log, spec.hops),
    }));
    const other = mapValues(opts.otherPids ?? {}, (pid, name) => cpuSeconds(pid) - other0[name]!);
    const hopCpu = figures.reduce((sum, p) => sum + p.cpuSeconds, 0);
    return {
      count: opts.count,
      hops: hops.length,
      fillSeconds,
      seconds,
      leadsPerSec: opts.count / seconds,
      firstSeconds,
      flowingLeadsPerSec: seconds > firstSeconds ? opts.count / (seconds - firstSeconds) : NaN,
      processes: figures,
      hopCpuMicrosPerLead: (hopCpu / opts.count) * 1e6,
      otherCpuSeconds: other,
      recordBytes: Object.fromEntries(keys.map((k) => [k, averageValueBytes(chain.pool(k))])),
    };
  } finally {
    await admin.disconnect();
    await stopChain(children, chain);
  }
}

export interface RawChainLatencyOptions extends Omit<RawChainOptions, 'count' | 'timeoutMs'> {
  /** offered rates, leads/s, each run `runs` times (default 1) */
  rates: readonly number[];
  runs?: number;
  seconds: number;
  /** the first seconds of each run's slots, left out */
  warmupSeconds: number;
  /** the longest a run waits, after its last send, for its records to come out of the chain */
  drainMs: number;
  /** records put through the chain before the first run (default 2,000) */
  warm?: number;
  /** the broker's request counter, when it could be attached: each run then reports its requests */
  brokerRequests?: BrokerRequests;
  /** records of each run whose CreateTime is looked up on every topic of the path (default 500) */
  hopSample?: number;
}

/** One hop of the chain: from a point of a record's way to the next, ms. */
export interface ChainHop {
  from: string;
  to: string;
  p50: number;
  p99: number;
}

/**
 * One rate's run: each record from the sender's slot to its read off the last hop's output topic
 * (`SlotLatencies`: undelivered, one not out of the chain when the drain gave up).
 */
export interface RawChainLatencyRun extends SlotLatencies {
  rate: number;
  run: number;
  sent: number;
  /** how late the sender handed records to its producer against their slots, ms */
  sendLateP99: number;
  /**
   * CPU µs per record sent of each hop process and each of `otherPids`, over the run and its
   * drain
   */
  cpuMicrosPerLead: Record<string, number>;
  /**
   * Per hop, from the CreateTimes of a sample of the run's records (after the warm-up) on each
   * topic of the path: the sender's slot, each topic, the arrival stamp off the last.
   */
  hops: ChainHop[];
  /** The phases of the router hops' transactions committed from `countFrom` to the run's end. */
  transactions: TransactionTimes;
  /** the requests the broker handled over the run and its drain, by API (when counted) */
  brokerRequests?: RequestMix;
}

/**
 * The raw chain's speed-to-lead, the physical limit of the pipeline's latency on this host: the
 * same hop processes as `rawChain`, then for each rate an open-model sender (record i due at
 * t0 + i/rate, sent then whether or not the chain keeps up, its slot in SLOT_HEADER) producing
 * onto the first topic with the runtime's idempotent producer, as ingest does, and a consumer of
 * the last hop's output that stamps each record's arrival; a record's latency is its slot to
 * that stamp. The pipeline's speed-to-lead also has ingest's HTTP request before the first topic
 * and the sink's webhook request after leads.routed, which this chain leaves out.
 */
export async function rawChainLatency(opts: RawChainLatencyOptions): Promise<RawChainLatencyRun[]> {
  const say = opts.say ?? (() => undefined);
  const chain = await prepareChain(opts);
  const { keys, topics, first, finalTopic } = chain;
  const firstTopic = topics[first.from];
  const admin = opts.kafka.admin();
  await admin.connect();
  const producer = BatchingProducer.create(opts.kafka, { ackTimeoutMs: 60_000 });
  const reader = opts.kafka.consumer({
    groupId: `${opts.prefix}raw-chain.latency`,
    allowAutoTopicCreation: false,
    maxBytesPerPartition: 1_048_576,
    minBytes: 1,
    maxWaitTimeInMs: 100,
  });
  /** arrival (epoch ms) by slot, of the records read off the final topic */
  const arrivals = new Map<string, number>();
  let children: ChainChild[] = [];
  try {
    await leadersAnswer(
      admin,
      keys.map((k) => topics[k]),
    );
    const warm = opts.warm ?? 2_000;
    await fill(opts.kafka, firstTopic, chain.pool(first.from), warm);
    children = spawnChain(opts, chain);
    const warmDeadline = Date.now() + 120_000;
    while ((await offsetsSum(admin, finalTopic)) < warm) {
      assertChainRunning(children);
      if (Date.now() > warmDeadline)
        throw new Error(`raw chain latency: the ${warm} warm-up records did not come through`);
      await sleep(100);
    }
    await producer.connect();
    await reader.connect();
    await reader.subscribe({ topic: finalTopic, fromBeginning: false });
    // Its position ("latest") is set at its first fetch after the join: a run sent before then
    // could be read from after its first records.
    const fetching = new Promise<void>((resolve) =>
      reader.on(reader.events.GROUP_JOIN, () => reader.on(reader.events.FETCH, () => resolve())),
    );
    await reader.run({
      eachBatch: async ({ batch }) => {
        const at = performance.timeOrigin + performance.now();
        for (const m of batch.messages) {
          const slot = m.headers?.[SLOT_HEADER]?.toString();
          if (slot !== undefined && !arrivals.has(slot)) arrivals.set(slot, at);
        }
      },
    });
    await fetching;
    say(`   raw chain latency: ${chain.processes.length} processes warm, ${warm} records through`);

    const pids = new Map<string, number>([
      ...children.map(({ spec, child }) => [spec.name, child.pid!] as const),
      ...Object.entries(opts.otherPids ?? {}),
    ]);
    const runs: RawChainLatencyRun[] = [];
    let seq = warm;
    for (const rate of opts.rates) {
      for (let run = 1; run <= (opts.runs ?? 1); run++) {
        const cpu0 = mapValues(Object.fromEntries(pids), cpuSeconds);
        const fromMs = Date.now();
        const label = `raw chain ${rate}/s run ${run}`;
        const paced = await pacedRecords(
          (slot) => recordOf(firstTopic, chain.pool(first.from), seq++, slot),
          producer,
          { rate, seconds: opts.seconds },
        );
        const drainDeadline = performance.now() + opts.drainMs;
        const arrived = () => paced.slots.filter((s) => arrivals.has(s)).length;
        let lastSaid = performance.now();
        while (arrived() < paced.slots.length && performance.now() < drainDeadline) {
          assertChainRunning(children);
          if (performance.now() - lastSaid >= 5_000) {
            lastSaid = performance.now();
            say(`   ${label}: ${arrived()}/${paced.slots.length} out of the chain`);
          }
          await sleep(100);
        }
        const cpu = mapValues(
          Object.fromEntries(pids),
          (pid, name) => ((cpuSeconds(pid) - cpu0[name]!) / paced.slots.length) * 1e6,
        );
        const brokerRequests = await opts.brokerRequests?.between(fromMs, Date.now());
        const countFrom = paced.startedAt + opts.warmupSeconds * 1000;
        const r: RawChainLatencyRun = {
          rate,
          run,
          sent: paced.slots.length,
          ...slotLatencies(
            paced.slots.map((slot) => [Number(slot), arrivals.get(slot)] as const),
            countFrom,
          ),
          sendLateP99: paced.sendLateP99,
          cpuMicrosPerLead: cpu,
          ...(brokerRequests && { brokerRequests }),
          transactions: chainTransactions(
            children.find((c) => c.spec.name === 'router')?.log,
            countFrom,
            Date.now(),
          ),
          hops: await chainHops(
            opts.kafka,
            chain,
            sampleOf(
              paced.slots.filter((slot) => Number(slot) >= countFrom),
              opts.hopSample ?? 500,
            ),
            arrivals,
            Math.floor(paced.startedAt - 1_000),
          ),
        };
        say(
          `   ${label}: p50 ${r.p50.toFixed(1)} ms, p99 ${r.p99.toFixed(1)} ms, ` +
            `p99.9 ${r.p999.toFixed(1)} ms, max ${r.max.toFixed(1)} ms; ` +
            `${r.counted} counted, ${r.undelivered} not through`,
        );
        runs.push(r);
        for (const slot of paced.slots) arrivals.delete(slot);
      }
    }
    return runs;
  } finally {
    await reader.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect();
    await stopChain(children, chain);
  }
}

/**
 * The chain's hops for the sampled records: each one's CreateTime on every topic of the path
 * (the producer's stamp when it was handed the record; a transactional hop's records become
 * readable at its commit, so the commit lands in the next hop), read from `sinceMs` on, between
 * its slot and its arrival off the last topic. A record written twice (a retry) counts its first.
 */
async function chainHops(
  kafka: Kafka,
  chain: PreparedChain,
  slots: readonly string[],
  arrivals: ReadonlyMap<string, number>,
  sinceMs: number,
): Promise<ChainHop[]> {
  const wanted = new Set(slots);
  const path = [chain.first.from, ...chain.hops.map((h) => h.to[0]!)];
  const points: { name: string; at: Map<string, number> }[] = [
    { name: 'sender slot', at: new Map(slots.map((s) => [s, Number(s)])) },
  ];
  for (const key of path) {
    const topic = chain.topics[key];
    const at = new Map<string, number>();
    const ranges = await timeWindowRanges(kafka, topic, sinceMs);
    for (const { message } of await readRanges(kafka, topic, ranges, 'bench.chain-hops.')) {
      const slot = message.headers?.[SLOT_HEADER]?.toString();
      if (slot === undefined || !wanted.has(slot)) continue;
      const t = Number(message.timestamp);
      at.set(slot, Math.min(at.get(slot) ?? t, t));
    }
    points.push({ name: Topics[key], at });
  }
  points.push({ name: 'read off the last', at: new Map(arrivals) });
  return points.slice(1).map((to, i) => {
    const from = points[i]!;
    const ms = slots
      .map((s) => (to.at.get(s) ?? NaN) - (from.at.get(s) ?? NaN))
      .filter(Number.isFinite)
      .sort((a, b) => a - b);
    return { from: from.name, to: to.name, p50: percentile(ms, 50), p99: percentile(ms, 99) };
  });
}

/**
 * Open-model sends onto the chain's first topic: record i is due at t0 + i/rate and handed to the
 * producer then (each millisecond's due records in one `sendAll`, as ingest's producer gathers
 * its requests), whether or not earlier ones were acknowledged. Answers once every send was.
 */
async function pacedRecords(
  recordFor: (slot: string) => OutgoingRecord,
  producer: BatchingProducer,
  opts: { rate: number; seconds: number },
): Promise<{ slots: string[]; startedAt: number; sendLateP99: number }> {
  const slots: string[] = [];
  const sends: Promise<void>[] = [];
  const { startedAt, late } = await openModel(opts, (due) => {
    const records = due.map((at) => {
      const slot = (performance.timeOrigin + at).toFixed(3);
      slots.push(slot);
      return recordFor(slot);
    });
    sends.push(producer.sendAll(records));
  });
  await Promise.all(sends);
  return { slots, startedAt, sendLateP99: percentile(late, 99) };
}

interface PreparedChain {
  processes: readonly ChainProcessSpec[];
  hops: HopSpec[];
  keys: TopicKey[];
  topics: Record<TopicKey, string>;
  first: HopSpec;
  finalTopic: string;
  poolFiles: Partial<Record<TopicKey, string>>;
  pool(key: TopicKey): readonly SampleRecord[];
  /** a webhook hop's receiver and secret, and the file of its bodies */
  webhook?: HopProcessConfig['webhook'];
}

interface ChainChild {
  spec: ChainProcessSpec;
  child: ChildProcess;
  log: string;
}

/** Checks the chain, creates its topics and writes the pool files its processes read. */
async function prepareChain(
  opts: Pick<
    RawChainOptions,
    'kafka' | 'prefix' | 'pools' | 'workDir' | 'processes' | 'webhook' | 'registryUrl'
  >,
): Promise<PreparedChain> {
  const processes = opts.processes ?? PIPELINE_CHAIN;
  const hops = processes.flatMap((p) => p.hops);
  const first = hops[0];
  const last = hops[hops.length - 1];
  if (!first || !last) throw new Error('rawChain: the chain has no hop');
  const finalKey = last.to[0];
  if (finalKey === undefined || last.exactlyOnce)
    throw new Error(`rawChain: the last hop (${last.name}) must produce outside a transaction`);
  const keys = chainTopicKeys(processes);
  const missing = keys.filter((k) => (opts.pools[k]?.length ?? 0) === 0);
  if (missing.length > 0)
    throw new Error(`rawChain: no sample records for ${missing.join(', ')} (pass opts.pools)`);
  const pool = (k: TopicKey) => opts.pools[k]!;
  if (hops.some((h) => h.avro) && opts.registryUrl === undefined)
    throw new Error(
      'rawChain: a hop decodes and encodes and no registry was given (opts.registryUrl)',
    );

  const { topics, declarations } = prefixedTopics(opts.prefix);
  const used = new Set(keys.map((k) => topics[k]));
  await ensureTopics(
    opts.kafka,
    declarations.filter((d) => used.has(d.name)),
  );
  const poolFiles: Partial<Record<TopicKey, string>> = {};
  for (const k of keys) {
    const file = join(opts.workDir, `${opts.prefix}${k}.pool`);
    writeFileSync(file, encodePool(pool(k)));
    poolFiles[k] = file;
  }
  let webhook: PreparedChain['webhook'];
  if (hops.some((h) => h.webhook)) {
    if (!opts.webhook?.bodies.length)
      throw new Error('rawChain: a hop sends webhooks and no bodies were given (opts.webhook)');
    const bodies = join(opts.workDir, `${opts.prefix}webhook.pool`);
    writeFileSync(
      bodies,
      encodePool(opts.webhook.bodies.map((value) => ({ key: null, value, headers: {} }))),
    );
    webhook = { url: opts.webhook.url, secret: opts.webhook.secret, bodies };
  }
  return {
    processes,
    hops,
    keys,
    topics,
    first,
    finalTopic: topics[finalKey],
    poolFiles,
    pool,
    webhook,
  };
}

/** Spawns the chain's processes (raw-hop.main.js), each logging to a file in the work dir. */
function spawnChain(
  opts: Pick<RawChainOptions, 'brokers' | 'prefix' | 'workDir' | 'registryUrl'>,
  chain: PreparedChain,
): ChainChild[] {
  const children: ChainChild[] = [];
  for (const spec of chain.processes) {
    const config: HopProcessConfig = {
      brokers: opts.brokers,
      clientId: `raw-chain-${spec.name}`,
      prefix: opts.prefix,
      hops: spec.hops,
      pools: chain.poolFiles,
      ...(chain.webhook && spec.hops.some((h) => h.webhook) ? { webhook: chain.webhook } : {}),
      ...(spec.hops.some((h) => h.avro) ? { registryUrl: opts.registryUrl } : {}),
    };
    const configFile = join(opts.workDir, `${opts.prefix}${spec.name}.hop.json`);
    writeFileSync(configFile, JSON.stringify(config));
    const log = join(opts.workDir, `${opts.prefix}${spec.name}.hop.log`);
    const fd = openSync(log, 'a');
    try {
      // The services' Node flags: the heap's young generation sizes both the GC's CPU and the
      // peak RSS, which the chain's processes are read against.
      const child = spawn(
        process.execPath,
        [...SERVICE_NODE_FLAGS, join(__dirname, 'raw-hop.main.js'), configFile],
        { stdio: ['ignore', fd, fd], env: process.env },
      );
      children.push({ spec, child, log });
    } finally {
      closeSync(fd);
    }
  }
  return children;
}

function assertChainRunning(children: readonly ChainChild[]): void {
  const dead = children.find((c) => c.child.exitCode !== null || c.child.signalCode !== null);
  if (dead)
    throw new Error(
      `raw chain: ${dead.spec.name} exited early; its log (${dead.log}):\n${tailOf(dead.log)}`,
    );
}

/** Stops the processes and removes the pool files (the hop logs stay for a look after the run). */
async function stopChain(children: readonly ChainChild[], chain: PreparedChain): Promise<void> {
  await Promise.all(children.map(({ child }) => stopChild(child)));
  for (const file of [...Object.values(chain.poolFiles), chain.webhook?.bodies])
    if (file !== undefined) rmSync(file, { force: true });
}

/** Puts `count` records on the topic, cycling the pool, as chunks of 500 with 4 in flight. */
async function fill(
  kafka: Kafka,
  topic: string,
  pool: readonly SampleRecord[],
  count: number,
): Promise<number> {
  const producer = BatchingProducer.create(kafka, { ackTimeoutMs: 60_000 });
  await producer.connect();
  const t0 = performance.now();
  let next = 0;
  try {
    await Promise.all(
      Array.from({ length: 4 }, async () => {
        while (next < count) {
          const from = next;
          const to = Math.min(count, next + 500);
          next = to;
          const records: OutgoingRecord[] = [];
          for (let i = from; i < to; i++) records.push(recordOf(topic, pool, i));
          await producer.sendAll(records);
        }
      }),
    );
  } finally {
    await producer.disconnect();
  }
  return (performance.now() - t0) / 1000;
}

/**
 * The header a latency run's records carry through the chain: the sender's scheduled send time
 * (epoch ms); each hop copies it from the record it read onto the records it writes for it.
 */
export const SLOT_HEADER = 'bench-slot';

/** Record i of a pool, cycled, as an outgoing record onto `topic` (with its slot, if any). */
export function recordOf(
  topic: string,
  pool: readonly SampleRecord[],
  i: number,
  slot?: string,
): OutgoingRecord {
  const r = pool[i % pool.length]!;
  const headers = slot === undefined ? r.headers : { ...r.headers, [SLOT_HEADER]: slot };
  return { topic, key: r.key, value: r.value, headers };
}

/**
 * Waits until every partition's leader answers ListOffsets. The metadata names a new topic's
 * leaders before they take requests, and kafkajs' admin does not retry NOT_LEADER_OR_FOLLOWER:
 * a produce sent at once is refused, and an offsets poll fails.
 */
export async function leadersAnswer(
  admin: Admin,
  topics: readonly string[],
  timeoutMs = 60_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  for (const topic of topics) {
    for (;;) {
      try {
        await admin.fetchTopicOffsets(topic);
        break;
      } catch (err) {
        if (Date.now() > deadline) throw err;
        await sleep(100);
      }
    }
  }
}

async function offsetsSum(admin: Admin, topic: string): Promise<number> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return offsets.reduce((sum, o) => sum + Number(o.high) - Number(o.low), 0);
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
  await exited;
  clearTimeout(timer);
}

/**
 * The router hops' transactions committed in [fromMs, toMs], from the router process's log:
 * each phase's p50 and p99 (exact, ms), and how many.
 */
function chainTransactions(
  log: string | undefined,
  fromMs: number,
  toMs: number,
): TransactionTimes {
  const phases = new Map<string, number[]>();
  const lines = log === undefined ? [] : readFileSync(log, 'utf8').split('\n');
  for (const line of lines) {
    if (!line.includes(HOP_TRANSACTION)) continue;
    let entry: { hop?: string; at?: number } & Partial<Record<`${TransactionPhase}Ms`, number>>;
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // a line still being written
    }
    if (entry.hop === undefined || entry.at === undefined) continue;
    if (entry.at < fromMs || entry.at > toMs) continue;
    for (const phase of TRANSACTION_PHASES) {
      const ms = entry[`${phase}Ms`];
      if (ms === undefined) continue;
      const key = `${entry.hop}/${phase}`;
      const values = phases.get(key);
      if (values === undefined) phases.set(key, [ms]);
      else values.push(ms);
    }
  }
  return TRANSACTION_STEPS.flatMap((step) =>
    TRANSACTION_PHASES.map((phase) => {
      const values = (phases.get(`${step}/${phase}`) ?? []).sort((a, b) => a - b);
      return {
        step,
        phase,
        p50: percentile(values, 50),
        p99: percentile(values, 99),
        count: values.length,
      };
    }),
  );
}

/** Each hop's first join and first batch, from the hop process's log (NaN when not logged). */
function hopStarts(log: string, hops: readonly HopSpec[]): ChainProcessFigures['started'] {
  const at = new Map<string, number>();
  for (const line of readFileSync(log, 'utf8').split('\n')) {
    let entry: { hop?: string; sinceSpawnMs?: number; msg?: string };
    try {
      entry = JSON.parse(line) as typeof entry;
    } catch {
      continue; // not a log line of ours (a stack trace), or one still being written
    }
    if (entry.hop === undefined || entry.sinceSpawnMs === undefined) continue;
    const key = `${entry.hop}/${entry.msg}`;
    if (!at.has(key)) at.set(key, entry.sinceSpawnMs / 1000);
  }
  return Object.fromEntries(
    hops.map((h) => [
      h.name,
      {
        joinedSeconds: at.get(`${h.name}/${HOP_JOINED}`) ?? NaN,
        firstBatchSeconds: at.get(`${h.name}/${HOP_FIRST_BATCH}`) ?? NaN,
      },
    ]),
  );
}

function tailOf(file: string): string {
  try {
    return readFileSync(file, 'utf8').split('\n').slice(-20).join('\n');
  } catch {
    return '(no log)';
  }
}

function mapValues<T, U>(
  o: Readonly<Record<string, T>>,
  f: (v: T, k: string) => U,
): Record<string, U> {
  return Object.fromEntries(Object.entries(o).map(([k, v]) => [k, f(v, k)]));
}

/**
 * A pool as one buffer: per record, the key, the value and the headers' JSON, each as a 32-bit
 * length (0xffffffff for null) and its bytes.
 */
export function encodePool(records: readonly SampleRecord[]): Buffer {
  const parts: Buffer[] = [];
  const field = (b: Buffer | null) => {
    const len = Buffer.alloc(4);
    len.writeUInt32BE(b === null ? 0xffffffff : b.length);
    parts.push(len);
    if (b !== null) parts.push(b);
  };
  for (const r of records) {
    field(r.key);
    field(r.value);
    field(Buffer.from(JSON.stringify(r.headers)));
  }
  return Buffer.concat(parts);
}

export function decodePool(buf: Buffer): SampleRecord[] {
  const out: SampleRecord[] = [];
  let at = 0;
  const field = (): Buffer | null => {
    if (at + 4 > buf.length) throw new Error(`pool file cut short at byte ${at}`);
    const len = buf.readUInt32BE(at);
    at += 4;
    if (len === 0xffffffff) return null;
    if (at + len > buf.length) throw new Error(`pool file cut short at byte ${at}`);
    const b = buf.subarray(at, at + len);
    at += len;
    return b;
  };
  while (at < buf.length) {
    const key = field();
    const value = field();
    const headers = field();
    out.push({
      key,
      value,
      headers: headers === null ? {} : (JSON.parse(headers.toString()) as Record<string, string>),
    });
  }
  return out;
}

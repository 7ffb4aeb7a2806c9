import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { AvroCodec, createKafka } from '@lead-router/kafka';
import { freePort, startDemoInbox, type DemoInbox } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import {
  prefixedTopics,
  serviceEntry,
  servicesOfKind,
  type DeliveryAttempt,
  type ServiceName,
} from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  latestCounts,
  leadWhereabouts,
  readTopic,
  serviceLogDigest,
  startAll,
  startService,
  testStack,
  uniquePrefix,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import type { Kafka } from 'kafkajs';

export const API_KEY = 'e2e-key';
export const WEBHOOK_SECRET = 'whsec_ZTJlLXRlc3Qtc2VjcmV0LWZvci1sZWFkLXJvdXRlci0zMg==';
/** The services a lead passes through, in pipeline order; the trace indexer runs only when asked to. */
export const STAGES = servicesOfKind('gateway', 'stage', 'sink').map((s) => s.name);
export type StageName = (typeof STAGES)[number];
export type { ServiceName };

export interface PipelineOptions {
  /** Also run the indexer, writing the trace index into this PostgreSQL table. */
  indexer?: { table: string; pgUrl?: string };
  /** More environment for every service (a sources file and its secrets, say). */
  env?: Record<string, string>;
  /** Rewrites the demo rule set (its inbox URL already set) before the services read it. */
  rules?: (demoYaml: string) => string;
  /** The topic prefix, when the test must prepare its topics or subjects before the start. */
  prefix?: string;
  /** Start only these of STAGES (in pipeline order), e.g. without the CRM sinks a test never uses. */
  only?: readonly ServiceName[];
  /** How long a service may take to answer its health path at start (default startService's). */
  healthTimeoutMs?: number;
}

const repoRoot = resolve(__dirname, '..', '..', '..');

export interface Pipeline {
  prefix: string;
  topics: ReturnType<typeof prefixedTopics>['topics'];
  kafka: Kafka;
  codec: AvroCodec;
  registryUrl: string;
  inbox: DemoInbox;
  ingestUrl: string;
  services: Map<ServiceName, ServiceProcess>;
  /** Starts (or starts again) one stage with the same configuration. */
  start(name: ServiceName): Promise<ServiceProcess>;
  /**
   * Where the pipeline stands, for a failure message: the records on each topic (and those that
   * carry `needle`), each consumer group's state and lag, what each service logged at warn and up.
   */
  whereabouts(needle?: string): Promise<string>;
  /**
   * `waitFor` for something the pipeline should bring about (leads at the receiver, say): on
   * timeout the error also says where the pipeline stands, so a failed run names the stuck hop.
   */
  waitFor<T>(
    probe: () => T | undefined | false | Promise<T | undefined | false>,
    options: { timeoutMs?: number; intervalMs?: number; what: string; needle?: string },
  ): Promise<T>;
  close(): Promise<void>;
}

/**
 * The whole system for one test: the real services as separate processes on their own topics
 * (a unique prefix) and consumer groups, delivering to an in-process demo inbox.
 */
export async function startPipeline(
  name: string,
  options: PipelineOptions = {},
): Promise<Pipeline> {
  const stack = await testStack();
  const prefix = options.prefix ?? uniquePrefix(name);
  const dir = mkdtempSync(join(tmpdir(), `lead-router-${name}-`));
  const inbox = await startDemoInbox({ port: await freePort() });
  const demoRules = readFileSync(join(repoRoot, 'deploy', 'local', 'rules', 'demo.yaml'), 'utf8');
  const rulesFile = join(dir, 'rules.yaml');
  const inboxRules = demoRules.replace('http://localhost:8090/inbox', `${inbox.url}/inbox`);
  writeFileSync(rulesFile, options.rules ? options.rules(inboxRules) : inboxRules);

  const stages = options.only ? STAGES.filter((s) => options.only!.includes(s)) : [...STAGES];
  const names: ServiceName[] = options.indexer ? ['indexer', ...stages] : stages;
  const ports = new Map<ServiceName, number>();
  for (const stage of names) ports.set(stage, await freePort());
  const env = (stage: ServiceName): Record<string, string> => ({
    ...DEMO_MODE_ENV,
    KAFKA_BROKERS: stack.brokers.join(','),
    SCHEMA_REGISTRY_URL: stack.registryUrl,
    TOPIC_PREFIX: prefix,
    LOG_LEVEL: 'warn',
    HTTP_HOST: '127.0.0.1',
    [serviceEntry(stage).port.env]: String(ports.get(stage)),
    INGEST_API_KEYS: `${API_KEY}:web-form`,
    ROUTING_RULES_FILE: rulesFile,
    WEBHOOK_SECRET,
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    ...(options.indexer
      ? {
          INDEX_TABLE: options.indexer.table,
          ...(options.indexer.pgUrl ? { PG_URL: options.indexer.pgUrl } : {}),
        }
      : {}),
    ...options.env,
  });

  const services = new Map<ServiceName, ServiceProcess>();
  const start = async (stage: ServiceName) => {
    const service = await startService(stage, env(stage), {
      port: ports.get(stage)!,
      logDir: join(dir, 'logs'),
      ...(options.healthTimeoutMs !== undefined
        ? { healthTimeoutMs: options.healthTimeoutMs }
        : {}),
    });
    services.set(stage, service);
    return service;
  };
  // All at once: each service creates the topics it needs (a topic another created first is
  // taken as it is) and waits for its own /health, so none waits on another's start.
  await startAll(names.map(start)).catch(async (err: unknown) => {
    await inbox.close();
    throw err;
  });

  const kafka = createKafka({
    brokers: stack.brokers,
    clientId: `e2e-${name}`,
    logger: createLogger('e2e', 'warn'),
  });
  const topics = prefixedTopics(prefix).topics;
  const codec = AvroCodec.connect(stack.registryUrl);
  const whereabouts = async (needle?: string) => {
    const where = await leadWhereabouts(kafka, prefix, topics, needle).catch(
      (err: unknown) => `topics and groups not read (${(err as Error).message})`,
    );
    const attempts = await readTopic<DeliveryAttempt>(
      kafka,
      codec,
      topics.attempts,
      'DeliveryAttempt',
    ).then(
      (records) => attemptDigest(records.map((r) => r.value)),
      (err: unknown) => `attempts not read (${(err as Error).message})`,
    );
    return `${where}\n${attempts}\n${serviceLogDigest([...services.values()])}`;
  };
  return {
    prefix,
    topics,
    kafka,
    codec,
    registryUrl: stack.registryUrl,
    inbox,
    ingestUrl: services.get('ingest')?.url ?? '',
    services,
    start,
    whereabouts,
    async waitFor(probe, { needle, ...options }) {
      try {
        return await waitFor(probe, options);
      } catch (err) {
        throw new Error(`${(err as Error).message}\n${await whereabouts(needle)}`, { cause: err });
      }
    },
    async close() {
      await Promise.all([...services.values()].map((service) => service.stop()));
      await inbox.close();
    },
  };
}

/**
 * The sinks' delivery attempts in a line or two: how many of each answer, and the latest distinct
 * reasons of those not delivered (a lead waiting on a retry tier or an open circuit shows here).
 */
export function attemptDigest(attempts: readonly DeliveryAttempt[]): string {
  const answers = new Map<string, number>();
  for (const a of attempts) answers.set(a.answer, (answers.get(a.answer) ?? 0) + 1);
  const counts = [...answers].map(([answer, n]) => `${answer} ${n}`).join(', ');
  const latest = latestCounts(
    attempts
      .filter((a) => a.answer !== 'DELIVERED')
      .map(
        (a) =>
          `${a.destination_id} ${a.answer}${a.http_status !== null ? ` ${a.http_status}` : ''}: ${a.message ?? ''}`,
      ),
    3,
  );
  return `delivery attempts: ${counts || 'none'}${latest.length > 0 ? `; not delivered, latest: ${latest.join('; ')}` : ''}`;
}

export interface PostResult {
  status: number;
  body: { lead_id?: string; error?: { code: string; message: string; fields?: unknown[] } };
}

export async function postLead(
  ingestUrl: string,
  body: string,
  headers: Record<string, string> = {},
): Promise<PostResult> {
  const res = await fetch(`${ingestUrl}/v1/leads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, body: (await res.json()) as PostResult['body'] };
}

/** Runs `fn` over `items` with at most `limit` in flight. */
export async function inParallel<T, R>(
  items: readonly T[],
  limit: number,
  fn: (item: T, index: number) => Promise<R>,
): Promise<R[]> {
  const results = new Array<R>(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: limit }, async () => {
      while (next < items.length) {
        const index = next++;
        results[index] = await fn(items[index]!, index);
      }
    }),
  );
  return results;
}

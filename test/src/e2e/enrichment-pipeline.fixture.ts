import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AvroCodec, createKafka } from '@lead-router/kafka';
import { freePort } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import { prefixedTopics, serviceEntry, type RoutedLead } from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  readTopic,
  startAll,
  startService,
  testStack,
  uniquePrefix,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import type { Kafka } from 'kafkajs';
import { API_KEY, postLead } from './pipeline.fixture';

export interface EnrichmentPipeline {
  prefix: string;
  dir: string;
  topics: ReturnType<typeof prefixedTopics>['topics'];
  kafka: Kafka;
  codec: AvroCodec;
  ingestUrl: string;
  enrichers: ServiceProcess[];
  /** Starts one more enricher instance in the same consumer group. */
  startEnricher(): Promise<ServiceProcess>;
  /** Starts one more ingest on the same topics, with this extra environment; returns its URL. */
  startIngest(env?: Record<string, string>): Promise<string>;
  /** Posts a lead to ingest (or to `to.ingestUrl`, with `to.headers`) and returns its id. */
  post(
    lead: Record<string, unknown>,
    to?: { ingestUrl?: string; headers?: Record<string, string> },
  ): Promise<string>;
  /** The lead as the router wrote it on leads.routed, once it is there. */
  routed(leadId: string): Promise<RoutedLead>;
  close(): Promise<void>;
}

export interface EnrichmentPipelineOptions {
  rulesYaml: string;
  /** The topic prefix, when the test wrote to its topics before the services start. */
  prefix?: string;
  /** Extra environment for ingest (INGEST_* keys). */
  ingestEnv?: Record<string, string>;
  /** Extra environment for the enricher instances (ENRICH_* keys). */
  enricherEnv?: Record<string, string>;
  /** Also run the indexer, writing the trace index to this table. */
  indexer?: { table: string; pgUrl: string };
}

/**
 * ingest -> normalizer -> enricher(s) -> router (-> indexer) as separate processes on this test's
 * own topics and groups, routing by the given rule set. No sink runs: the test reads leads.routed.
 */
export async function startEnrichmentPipeline(
  name: string,
  options: EnrichmentPipelineOptions,
): Promise<EnrichmentPipeline> {
  const stack = await testStack();
  const prefix = options.prefix ?? uniquePrefix(name);
  const dir = mkdtempSync(join(tmpdir(), `lead-router-${name}-`));
  const rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, options.rulesYaml);
  const services: ServiceProcess[] = [];
  const enrichers: ServiceProcess[] = [];
  const start = async (service: Parameters<typeof serviceEntry>[0], extra = {}) => {
    const port = await freePort();
    const process = await startService(
      service,
      {
        ...DEMO_MODE_ENV,
        KAFKA_BROKERS: stack.brokers.join(','),
        SCHEMA_REGISTRY_URL: stack.registryUrl,
        TOPIC_PREFIX: prefix,
        LOG_LEVEL: 'warn',
        HTTP_HOST: '127.0.0.1',
        [serviceEntry(service).port.env]: String(port),
        INGEST_API_KEYS: `${API_KEY}:web-form`,
        ROUTING_RULES_FILE: rulesFile,
        KAFKA_SESSION_TIMEOUT_MS: '6000',
        ...(options.indexer
          ? { INDEX_TABLE: options.indexer.table, PG_URL: options.indexer.pgUrl }
          : {}),
        ...extra,
      },
      { port, logDir: join(dir, 'logs') },
    );
    services.push(process);
    return process;
  };
  const startEnricher = async () => {
    const enricher = await start('enricher', options.enricherEnv ?? {});
    enrichers.push(enricher);
    return enricher;
  };
  // All at once: each creates the topics it needs and waits for its own /health.
  const ingestStarted = start('ingest', options.ingestEnv ?? {});
  await startAll([
    ingestStarted,
    start('normalizer'),
    startEnricher(),
    start('router'),
    ...(options.indexer ? [start('indexer')] : []),
  ]);
  const ingest = await ingestStarted;

  const topics = prefixedTopics(prefix).topics;
  const kafka = createKafka({
    brokers: stack.brokers,
    clientId: `e2e-${name}`,
    logger: createLogger('e2e', 'warn'),
  });
  const codec = AvroCodec.connect(stack.registryUrl);
  return {
    prefix,
    dir,
    topics,
    kafka,
    codec,
    ingestUrl: ingest.url,
    enrichers,
    startEnricher,
    startIngest: async (env = {}) => (await start('ingest', env)).url,
    async post(lead, to = {}) {
      const posted = await postLead(to.ingestUrl ?? ingest.url, JSON.stringify(lead), to.headers);
      if (posted.status !== 202) throw new Error(`ingest answered ${posted.status}`);
      return posted.body.lead_id!;
    },
    routed: (leadId) =>
      waitFor(
        async () =>
          (await readTopic<RoutedLead>(kafka, codec, topics.routed, 'RoutedLead')).find(
            (r) => r.value.lead.lead_id === leadId,
          )?.value,
        { timeoutMs: 60_000, intervalMs: 300, what: `lead ${leadId} on leads.routed` },
      ),
    async close() {
      await Promise.all(services.map((service) => service.stop()));
    },
  };
}

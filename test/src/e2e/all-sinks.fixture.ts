import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  startFakeHubSpot,
  startFakeSalesforce,
  type FakeHubSpot,
  type FakeSalesforce,
} from '@lead-router/crm-fakes';
import { AvroCodec, createKafka, ensureTopics, FALLBACK_FROM_HEADER } from '@lead-router/kafka';
import { freePort, startDemoInbox, type DemoInbox } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import {
  prefixedTopics,
  serviceEntry,
  type DeadLetter,
  type DeliveryOutcome,
  type RoutedLead,
  type ServiceName,
} from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  readTopic,
  startAll,
  startService,
  testStack,
  uniquePrefix,
  type ServiceProcess,
} from '@lead-router/testing';
import type { Kafka } from 'kafkajs';
import { Pool } from 'pg';
import { STAGES, WEBHOOK_SECRET } from './pipeline.fixture';

export const API_KEY = 'e2e-all-sinks-key';
export const HUBSPOT_TOKEN = 'pat-e2e-all-sinks';
export const SF_CLIENT_ID = 'e2e-all-sinks-consumer-key';
export const SF_CLIENT_SECRET = 'e2e-all-sinks-consumer-secret';
const PG_URL = process.env['PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';

/** Where the rule set's destinations point: the fakes, the inbox, a PostgreSQL schema. */
export interface Receivers {
  salesforceUrl: string;
  hubspotUrl: string;
  inboxUrl: string;
  /** A second inbox, for a fallback destination. */
  backupInboxUrl: string;
  pgSchema: string;
}

/**
 * The four destinations the all-sinks specs route to, as the lines under a rule set's
 * `destinations:`: Salesforce (client credentials, external id Lead_Id__c), HubSpot, the
 * PostgreSQL table `leads` of the run's schema and the webhook inbox. `hubExtra` is appended to
 * HubSpot's entry (lines indented four spaces, each starting with a newline).
 */
export function fourDestinationsYaml(
  r: Pick<Receivers, 'salesforceUrl' | 'hubspotUrl' | 'inboxUrl' | 'pgSchema'>,
  hubExtra = '',
): string {
  return `  crm:
    type: salesforce
    login_url: ${r.salesforceUrl}
    auth:
      flow: client_credentials
      client_id: { env: SF_E2E_CLIENT_ID }
      client_secret: { env: SF_E2E_CLIENT_SECRET }
    external_id_field: Lead_Id__c
  hub:
    type: hubspot
    base_url: ${r.hubspotUrl}
    token: { env: HUBSPOT_E2E_TOKEN }${hubExtra}
  warehouse:
    type: postgres
    schema: ${r.pgSchema}
    table: leads
  inbox:
    type: webhook
    url: ${r.inboxUrl}
    allow_private: true`;
}

export interface AllSinksPipeline {
  prefix: string;
  topics: ReturnType<typeof prefixedTopics>['topics'];
  kafka: Kafka;
  codec: AvroCodec;
  salesforce: FakeSalesforce;
  hubspot: FakeHubSpot;
  inbox: DemoInbox;
  backupInbox: DemoInbox;
  pool: Pool;
  pgSchema: string;
  ingestUrl: string;
  services: Map<ServiceName, ServiceProcess>;
  /** The leads the router wrote (fallback records, which a sink writes, left out). */
  routed(): Promise<RoutedLead[]>;
  outcomes(): Promise<DeliveryOutcome[]>;
  deadLetters(): Promise<DeadLetter[]>;
  rows(): Promise<{ destination: string; lead_id: string; owner_id: string | null }[]>;
  close(): Promise<void>;
}

/**
 * Every service of the manifest (ingest, normalizer, enricher, router and the four sinks) as its
 * own process on this test's topics, with the rule set `rules(receivers)` as the file they start
 * from, delivering to a fake Salesforce, a fake HubSpot, two webhook inboxes and a PostgreSQL
 * schema of this test's own.
 */
export async function startAllSinks(
  name: string,
  rules: (receivers: Receivers) => string,
  options: { healthTimeoutMs?: number } = {},
): Promise<AllSinksPipeline> {
  const stack = await testStack();
  const prefix = uniquePrefix(name);
  const dir = mkdtempSync(join(tmpdir(), `lead-router-${name}-`));
  const salesforce = await startFakeSalesforce({
    clientId: SF_CLIENT_ID,
    clientSecret: SF_CLIENT_SECRET,
  });
  const hubspot = await startFakeHubSpot({ tokens: [HUBSPOT_TOKEN] });
  const inbox = await startDemoInbox({ port: await freePort() });
  const backupInbox = await startDemoInbox({ port: await freePort() });
  const pgSchema = `e2e_${name.replace(/-/g, '_')}_${randomBytes(4).toString('hex')}`;
  const pool = new Pool({ connectionString: PG_URL, max: 2 });
  const rulesFile = join(dir, 'rules.yaml');
  writeFileSync(
    rulesFile,
    rules({
      salesforceUrl: salesforce.url,
      hubspotUrl: hubspot.url,
      inboxUrl: `${inbox.url}/inbox`,
      backupInboxUrl: `${backupInbox.url}/inbox`,
      pgSchema,
    }),
  );

  const services = new Map<ServiceName, ServiceProcess>();
  const close = async () => {
    await Promise.all([...services.values()].map((service) => service.stop()));
    await Promise.all([salesforce.close(), hubspot.close(), inbox.close(), backupInbox.close()]);
    await pool.query(`drop schema if exists ${pgSchema} cascade`);
    await pool.end();
  };
  // Every topic made (with its leaders) before the services start side by side: a service that
  // finds a topic another one has just created may read it before it has a leader.
  const kafka = createKafka({
    brokers: stack.brokers,
    clientId: `e2e-${name}`,
    logger: createLogger('e2e', 'warn'),
  });
  const { topics, declarations } = prefixedTopics(prefix);
  await ensureTopics(kafka, declarations).catch(async (err: unknown) => {
    await close();
    throw err;
  });
  const ports = new Map<ServiceName, number>();
  for (const stage of STAGES) ports.set(stage, await freePort());
  const start = async (stage: ServiceName) => {
    const port = ports.get(stage)!;
    const env: Record<string, string> = {
      ...DEMO_MODE_ENV,
      KAFKA_BROKERS: stack.brokers.join(','),
      SCHEMA_REGISTRY_URL: stack.registryUrl,
      TOPIC_PREFIX: prefix,
      LOG_LEVEL: 'warn',
      HTTP_HOST: '127.0.0.1',
      [serviceEntry(stage).port.env]: String(port),
      INGEST_API_KEYS: `${API_KEY}:web-form`,
      ROUTING_RULES_FILE: rulesFile,
      WEBHOOK_SECRET,
      HUBSPOT_E2E_TOKEN: HUBSPOT_TOKEN,
      SF_E2E_CLIENT_ID: SF_CLIENT_ID,
      SF_E2E_CLIENT_SECRET: SF_CLIENT_SECRET,
      PG_URL,
      PG_SCHEMA: pgSchema,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
    };
    const service = await startService(stage, env, {
      port,
      logDir: join(dir, 'logs'),
      // Eight processes starting at once on two cores: each may wait its turn.
      healthTimeoutMs: options.healthTimeoutMs ?? 120_000,
    });
    services.set(stage, service);
    return service;
  };
  await startAll(STAGES.map(start)).catch(async (err: unknown) => {
    await close();
    throw err;
  });

  const codec = AvroCodec.connect(stack.registryUrl);
  return {
    prefix,
    topics,
    kafka,
    codec,
    salesforce,
    hubspot,
    inbox,
    backupInbox,
    pool,
    pgSchema,
    ingestUrl: services.get('ingest')!.url,
    services,
    async routed() {
      const records = await readTopic<RoutedLead>(kafka, codec, topics.routed, 'RoutedLead');
      return records.filter((r) => !r.message.headers?.[FALLBACK_FROM_HEADER]).map((r) => r.value);
    },
    async outcomes() {
      const records = await readTopic<DeliveryOutcome>(
        kafka,
        codec,
        topics.delivered,
        'DeliveryOutcome',
      );
      return records.map((r) => r.value);
    },
    async deadLetters() {
      const records = await readTopic<DeadLetter>(kafka, codec, topics.dlq, 'DeadLetter');
      return records.map((r) => r.value);
    },
    async rows() {
      const exists = await pool.query(`select to_regclass($1) as t`, [`${pgSchema}.leads`]);
      if (exists.rows[0]?.t === null) return [];
      const result = await pool.query(
        `select destination, lead_id, owner_id from ${pgSchema}.leads order by lead_id`,
      );
      return result.rows;
    },
    close,
  };
}

/** Posts one lead to ingest; answers the lead id it was given. */
export async function postLead(ingestUrl: string, lead: Record<string, string>): Promise<string> {
  const res = await fetch(`${ingestUrl}/v1/leads`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify(lead),
  });
  const body = (await res.json()) as { lead_id?: string };
  if (res.status !== 202 || !body.lead_id) {
    throw new Error(`ingest answered ${res.status}: ${JSON.stringify(body)}`);
  }
  return body.lead_id;
}

/** The (lead, destination) pairs of outcomes or expectations, sorted, as `destination/lead`. */
export const pairKeys = (pairs: readonly { lead_id: string; destination_id: string }[]) =>
  pairs.map((p) => `${p.destination_id}/${p.lead_id}`).sort();

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@lead-router/local-stack';
import {
  serviceEntry,
  type DeliveryOutcome,
  type RoutedLead,
  type ServiceName,
} from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  committedOffset,
  readTopic,
  startService,
  testStack,
  type ServiceProcess,
} from '@lead-router/testing';
import { kafkaFixture, type KafkaFixture } from '../integration/kafka-fixture';

export interface SinkProcessFixture extends KafkaFixture {
  /** The sink as its own process on this test's topics, with the rule set and its environment. */
  start(): Promise<ServiceProcess>;
  /** Routed leads onto this test's leads.routed, as the router writes them. */
  produce(leads: readonly RoutedLead[]): Promise<void>;
  outcomes(): Promise<DeliveryOutcome[]>;
  /** The sink group's committed offsets on leads.routed, summed over its partitions. */
  committed(): Promise<number>;
}

/**
 * One sink on its own topics (the test's prefix), its own consumer group and a rules file
 * holding the rule set its leads were routed by: what every sink's end-to-end spec needs before
 * its own receiver (a fake CRM, a table) comes in.
 */
export async function sinkProcessFixture(
  name: string,
  sink: ServiceName,
  options: { rulesYaml: string; env?: Record<string, string> },
): Promise<SinkProcessFixture> {
  const fx = await kafkaFixture(name);
  const { brokers, registryUrl } = await testStack();
  const dir = mkdtempSync(join(tmpdir(), `lead-router-${name}-`));
  const rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, options.rulesYaml);
  const groupId = `${fx.prefix}lead-router.${sink}`;
  const admin = fx.kafka.admin();
  await admin.connect();
  return {
    ...fx,
    async start() {
      const port = await freePort();
      return startService(
        sink,
        {
          ...DEMO_MODE_ENV,
          KAFKA_BROKERS: brokers.join(','),
          SCHEMA_REGISTRY_URL: registryUrl,
          TOPIC_PREFIX: fx.prefix,
          [serviceEntry(sink).port.env]: String(port),
          HTTP_HOST: '127.0.0.1',
          ROUTING_RULES_FILE: rulesFile,
          KAFKA_SESSION_TIMEOUT_MS: '6000',
          LOG_LEVEL: 'warn',
          ...options.env,
        },
        { port, logDir: join(dir, 'logs') },
      );
    },
    async produce(leads) {
      await fx.producer.sendAll(
        leads.map((lead) => ({
          topic: fx.topics.routed,
          key: lead.lead.lead_id,
          value: fx.codec.encode(fx.topics.routed, lead),
        })),
      );
    },
    async outcomes() {
      const records = await readTopic<DeliveryOutcome>(
        fx.kafka,
        fx.codec,
        fx.topics.delivered,
        'DeliveryOutcome',
      );
      return records.map((r) => r.value);
    },
    committed: () => committedOffset(admin, groupId, fx.topics.routed),
    async close() {
      await admin.disconnect();
      await fx.close();
    },
  };
}

import { createHash } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { freePort } from '@lead-router/local-stack';
import { serviceEntry, type EnrichedLead, type RuleSetVersion } from '@lead-router/schemas';
import { DEMO_MODE_ENV, startService, testStack, type ServiceProcess } from '@lead-router/testing';
import { kafkaFixture, type KafkaFixture } from '../integration/kafka-fixture';

export interface RouterFixture extends KafkaFixture {
  dir: string;
  routers: ServiceProcess[];
  /** Starts one more router process; `env` is added to (and overrides) the fixture's. */
  startRouter(env?: Record<string, string>): Promise<ServiceProcess>;
  produceLeads(leads: EnrichedLead[]): Promise<void>;
  publish(yaml: string, id: string, version: string): Promise<number>;
  stop(): Promise<void>;
}

/** Routers as separate processes on this test's own topics, fed enriched leads directly. */
export async function routerFixture(name: string, rulesYaml: string): Promise<RouterFixture> {
  const fx = await kafkaFixture(name);
  const dir = mkdtempSync(join(tmpdir(), `lead-router-${name}-`));
  const rulesFile = join(dir, 'rules.yaml');
  writeFileSync(rulesFile, rulesYaml);
  const routers: ServiceProcess[] = [];
  const { brokers, registryUrl } = await testStack();
  return {
    ...fx,
    dir,
    routers,
    async startRouter(env = {}) {
      const port = await freePort();
      const router = await startService(
        'router',
        {
          ...DEMO_MODE_ENV,
          KAFKA_BROKERS: brokers.join(','),
          SCHEMA_REGISTRY_URL: registryUrl,
          TOPIC_PREFIX: fx.prefix,
          [serviceEntry('router').port.env]: String(port),
          HTTP_HOST: '127.0.0.1',
          ROUTING_RULES_FILE: rulesFile,
          KAFKA_SESSION_TIMEOUT_MS: '6000',
          LOG_LEVEL: 'warn',
          ...env,
        },
        { port, logDir: join(dir, 'logs') },
      );
      routers.push(router);
      return router;
    },
    async produceLeads(leads) {
      await fx.producer.sendAll(
        leads.map((lead) => ({
          topic: fx.topics.enriched,
          key: lead.lead.lead_id,
          value: fx.codec.encode(fx.topics.enriched, lead),
        })),
      );
    },
    async publish(yaml, id, version) {
      const record: RuleSetVersion = {
        rule_set_id: id,
        version,
        yaml,
        sha256: createHash('sha256').update(yaml).digest('hex'),
        published_at: Date.now(),
        published_by: 'test',
      };
      await fx.producer.sendAll([
        { topic: fx.topics.rules, key: id, value: fx.codec.encode(fx.topics.rules, record) },
      ]);
      return record.published_at;
    },
    async stop() {
      await Promise.all(routers.map((router) => router.stop()));
      await fx.close();
    },
  };
}

import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeFirmographics, type FakeFirmographics } from '@lead-router/crm-fakes';
import { freePort } from '@lead-router/local-stack';
import { type EnrichedLead, Topics, serviceEntry, topicDeclarations } from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  normalizedLeadFixture,
  readTopic,
  startService,
  testStack,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import { kafkaFixture, type KafkaFixture } from '../integration/kafka-fixture';

const API_KEY = 'sk_e2e_enricher';
const TIMEOUT_MS = 200;
const BREAKER_FAILURES = 5;

function partitionsOf(topic: string): number {
  const declared = topicDeclarations.find((t) => t.name === topic);
  assert.ok(declared, `${topic} is declared`);
  return declared.partitions;
}

const scoreRules = `
rules:
  - name: business_email
    points: 10
    when: { path: enrichment.free_mail, eq: false }
  - name: software
    points: 25
    when: { path: enrichment.firmographics.industry, eq: Software }
`;

interface Setup {
  fx: KafkaFixture;
  provider: FakeFirmographics;
  enricher: ServiceProcess;
}

/** The enricher as its own process on this test's topics, asking the fake provider. */
async function setup(name: string): Promise<Setup> {
  const fx = await kafkaFixture(name);
  const provider = await startFakeFirmographics({ apiKeys: [API_KEY] });
  const dir = mkdtempSync(join(tmpdir(), `lead-router-${name}-`));
  const scoreFile = join(dir, 'score.yaml');
  writeFileSync(scoreFile, scoreRules);
  const { brokers, registryUrl } = await testStack();
  const port = await freePort();
  const enricher = await startService(
    'enricher',
    {
      ...DEMO_MODE_ENV,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      TOPIC_PREFIX: fx.prefix,
      [serviceEntry('enricher').port.env]: String(port),
      HTTP_HOST: '127.0.0.1',
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'warn',
      ENRICH_FIRMOGRAPHICS_URL: provider.url,
      ENRICH_FIRMOGRAPHICS_API_KEY_ENV: 'E2E_FIRMOGRAPHICS_KEY',
      E2E_FIRMOGRAPHICS_KEY: API_KEY,
      ENRICH_FIRMOGRAPHICS_TIMEOUT_MS: String(TIMEOUT_MS),
      ENRICH_FIRMOGRAPHICS_BREAKER_FAILURES: String(BREAKER_FAILURES),
      ENRICH_FIRMOGRAPHICS_BREAKER_HALF_OPEN_MS: '600000',
      ENRICH_SCORE_FILE: scoreFile,
    },
    { port, logDir: join(dir, 'logs') },
  );
  return { fx, provider, enricher };
}

async function produce(fx: KafkaFixture, count: number, domainOf: (i: number) => string) {
  const leads = Array.from({ length: count }, (_, i) =>
    normalizedLeadFixture({
      lead_id: `${fx.prefix}lead-${i}`,
      email: `ada.${i}@${domainOf(i)}`,
      company_domain: domainOf(i),
    }),
  );
  await fx.producer.sendAll(
    leads.map((lead) => ({
      topic: fx.topics.normalized,
      key: lead.lead_id,
      value: fx.codec.encode(fx.topics.normalized, lead),
    })),
  );
}

async function enrichedLeads(fx: KafkaFixture, count: number): Promise<EnrichedLead[]> {
  let leads: EnrichedLead[] = [];
  await waitFor(
    async () => {
      leads = (
        await readTopic<EnrichedLead>(fx.kafka, fx.codec, fx.topics.enriched, 'EnrichedLead')
      ).map((r) => r.value);
      return leads.length >= count;
    },
    { timeoutMs: 90_000, what: `${count} leads on leads.enriched` },
  );
  return leads;
}

function countBy(values: readonly string[]): Record<string, number> {
  const out: Record<string, number> = {};
  for (const v of values) out[v] = (out[v] ?? 0) + 1;
  return out;
}

describe('enricher with the firmographics provider down (real broker, enricher as a process)', () => {
  let s: Setup;
  before(async () => {
    s = await setup('enrich-down');
    await s.provider.control.outage(true, 'refused');
  });
  after(async () => {
    await s?.enricher.stop();
    await s?.provider.close();
    await s?.fx.close();
  });

  it('lets every lead through, marked unavailable until the circuit opens, circuit_open after', async () => {
    const count = 600;
    await produce(s.fx, count, (i) => `company-${i}.test`);
    const leads = await enrichedLeads(s.fx, count);

    const ids = new Set(leads.map((l) => l.lead.lead_id));
    assert.equal(ids.size, count, 'every lead once');
    const firmo = countBy(leads.map((l) => l.enrichment.enrichment_status.firmographics ?? '-'));
    // A refused connection is 'unavailable'; on a loaded host the step's 200 ms timer can fire
    // before the refusal is read, which is 'timeout' (1 of 600 in a run of this spec alone): both are failures the
    // breaker counts, and nothing else may appear.
    const failed = (firmo.unavailable ?? 0) + (firmo.timeout ?? 0);
    assert.deepEqual(
      Object.keys(firmo).filter((k) => !['circuit_open', 'timeout', 'unavailable'].includes(k)),
      [],
      JSON.stringify(firmo),
    );
    assert.ok(
      (firmo.unavailable ?? 0) > 0,
      `refusals seen as unavailable: ${JSON.stringify(firmo)}`,
    );
    assert.ok((firmo.circuit_open ?? 0) > 0, `the circuit opened: ${JSON.stringify(firmo)}`);
    // The breaker opens after BREAKER_FAILURES failures in a row; the calls already on the wire
    // then (at most ENRICH_CONCURRENCY 64 per partition, every partition of leads.normalized at
    // once, as the stage runner consumes them) fail too, and every later lead skips the provider.
    const onTheWire = 64 * partitionsOf(Topics.normalized);
    assert.ok(failed <= BREAKER_FAILURES + onTheWire, JSON.stringify(firmo));
    assert.ok(
      (firmo.circuit_open ?? 0) >= count - BREAKER_FAILURES - onTheWire,
      JSON.stringify(firmo),
    );
    assert.equal(s.provider.lookups().length, 0, 'the provider never answered');
    for (const lead of leads) {
      assert.equal(lead.enrichment.firmographics, null);
      assert.equal(lead.enrichment.enrichment_status.score, 'ok');
      assert.equal(lead.enrichment.score, 10, 'scored without firmographics');
    }
  });
});

describe('enricher with the firmographics provider up (real broker, enricher as a process)', () => {
  let s: Setup;
  before(async () => {
    s = await setup('enrich-up');
  });
  after(async () => {
    await s?.enricher.stop();
    await s?.provider.close();
    await s?.fx.close();
  });

  it('puts the company on every lead, asks once per domain, and scores on it', async () => {
    const count = 200;
    await produce(s.fx, count, (i) => (i % 2 === 0 ? 'analytical-engines.com' : 'unknown.test'));
    const leads = await enrichedLeads(s.fx, count);
    assert.equal(new Set(leads.map((l) => l.lead.lead_id)).size, count);
    const known = leads.filter((l) => l.lead.company_domain === 'analytical-engines.com');
    assert.equal(known.length, count / 2);
    for (const lead of known) {
      assert.equal(lead.enrichment.enrichment_status.firmographics, 'ok');
      assert.equal(lead.enrichment.firmographics?.industry, 'Software');
      assert.equal(lead.enrichment.firmographics?.company_size, '1001-5000');
      assert.equal(lead.enrichment.score, 35);
    }
    for (const lead of leads.filter((l) => l.lead.company_domain === 'unknown.test')) {
      assert.equal(lead.enrichment.enrichment_status.firmographics, 'no_match');
    }
    // One call per domain: leads arriving together share it, later ones read the cache.
    assert.deepEqual(s.provider.lookups().sort(), ['analytical-engines.com', 'unknown.test']);
  });
});

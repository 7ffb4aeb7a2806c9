import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  AvroCodec,
  BatchingProducer,
  createKafka,
  ensureTopics,
  readToEnd,
  type TopicRecord,
} from '@lead-router/kafka';
import { freePort } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import {
  alongsideEnv,
  prefixedTopics,
  serviceEntry,
  type DeadLetter,
  type SchemaName,
  type ServiceName,
} from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  corpusRawLead,
  readLeadCorpus,
  startAll,
  startService,
  testStack,
  uniquePrefix,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import type { Kafka } from 'kafkajs';

/**
 * Round robin over one member per queue: who gets a lead depends on the rule it matches and not
 * on the order in which leads of different partitions reach the assign step, which differs from
 * run to run in the split pipeline as much as in the fused one.
 */
const RULES = `
id: fused-e2e
version: '1'
destinations:
  inbox: { type: webhook, url: 'http://127.0.0.1:9/inbox', allow_private: true }
queues:
  emea: { method: round_robin, when_unavailable: { hold: true }, members: [{ id: alice, owners: { inbox: '005-alice' } }] }
  americas: { method: round_robin, when_unavailable: { hold: true }, members: [{ id: carmen, owners: { inbox: '005-carmen' } }] }
  self-serve: { method: round_robin, when_unavailable: { hold: true }, members: [{ id: erin, owners: { inbox: '005-erin' } }] }
segments:
  emea: { path: lead.country, in: [DE, FR, GB, ES, IT, NL, SE, CH, AT, BE, IE, PL] }
  americas: { path: lead.country, in: [US, CA, MX, BR, AR] }
rules:
  - { name: free-mail, when: { path: enrichment.free_mail, eq: true }, queue: self-serve, destinations: [inbox] }
  - { name: emea, when: { segment: emea }, queue: emea, destinations: [inbox] }
  - { name: americas, when: { segment: americas }, queue: americas, destinations: [inbox] }
fallback: { queue: self-serve, destinations: [inbox] }
`;

/**
 * Fields two runs cannot share, each left out wherever it appears: those stamped with the
 * processing clock (when the normalizer, the enricher, the match and the assign step handled the
 * lead, when a stage gave up on a record), and `position`, the lead's place in its queue's
 * rotation, which counts the leads the queue assigned before it: their order at the assign step
 * differs from run to run (see `COMPARED`), in the split pipeline as in the fused one. Every other
 * field is compared.
 */
const PER_RUN_FIELDS = new Set([
  'normalized_at',
  'enriched_at',
  'matched_at',
  'decided_at',
  'failed_at',
  'position',
]);

/** `lr-assigned-by` names the router.assign record, whose offset is per run (see `COMPARED`). */
const perRunHeader = (name: string, value: string): string =>
  name === 'lr-assigned-by' ? value.replace(/@\d+$/, '') : value;

/**
 * The topics every lead crosses, with the schema of their values. `ordered` topics are written
 * partition for partition from leads.raw (same key, same partition count), so a lead has the same
 * offset in both runs. The others are not: router.assign is re-keyed by queue group, so records
 * from several input partitions interleave in one partition in the order the broker happened to
 * get them, and it is written in transactions whose commit markers take offsets per chunk;
 * leads.routed follows router.assign's order, and the DLQ takes dead letters of every stage. On
 * those a record's offset is per run and left out; its partition, key and contents are compared.
 */
const COMPARED: readonly {
  key: 'normalized' | 'enriched' | 'assign' | 'routed' | 'dlq';
  schema: SchemaName;
  ordered: boolean;
}[] = [
  { key: 'normalized', schema: 'NormalizedLead', ordered: true },
  { key: 'enriched', schema: 'EnrichedLead', ordered: true },
  { key: 'assign', schema: 'QueueAssignment', ordered: false },
  { key: 'routed', schema: 'RoutedLead', ordered: false },
  { key: 'dlq', schema: 'DeadLetter', ordered: false },
];

const UNDECODABLE = 2;
const TOTAL = 200;

interface Deployment {
  prefix: string;
  topics: ReturnType<typeof prefixedTopics>['topics'];
  services: ServiceProcess[];
}

/** What a user inspecting a topic sees of one record, with the prefix and the clock left out. */
interface Seen {
  id: string;
  key: string | null;
  partition: number;
  /** Null on a topic that is not `ordered`. */
  offset: string | null;
  headers: Record<string, string>;
  value: unknown;
}

function leadId(i: number): string {
  return `00000000-0000-4000-8000-${i.toString(16).padStart(12, '0')}`;
}

/** 198 corpus leads (every rejected case among them) and two records that are not Avro. */
function leads(): { key: string; lead: ReturnType<typeof corpusRawLead> | null }[] {
  const cases = readLeadCorpus();
  const rejected = cases.filter((c) => c.expect.rejected);
  const accepted = cases.filter((c, i) => !c.expect.rejected && i % 3 === 0);
  const picked = [...rejected, ...accepted].slice(0, TOTAL - UNDECODABLE);
  assert.equal(picked.length, TOTAL - UNDECODABLE);
  return [
    ...picked.map((c, i) => ({ key: leadId(i), lead: corpusRawLead(c.input, leadId(i)) })),
    ...Array.from({ length: UNDECODABLE }, (_, i) => ({ key: leadId(TOTAL + i), lead: null })),
  ];
}

/** The value with every per-run field removed and this deployment's topic prefix taken off. */
function comparable(value: unknown, prefix: string): unknown {
  if (typeof value === 'string')
    return value.startsWith(prefix) ? value.slice(prefix.length) : value;
  if (Buffer.isBuffer(value)) return value.toString('hex');
  if (Array.isArray(value)) return value.map((v) => comparable(v, prefix));
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value)
        .filter(([k]) => !PER_RUN_FIELDS.has(k))
        .map(([k, v]) => [k, comparable(v, prefix)]),
    );
  }
  return value;
}

function idOf(topic: string, value: unknown, record: TopicRecord): string {
  const v = value as Record<string, unknown>;
  switch (topic) {
    case 'normalized':
      return v['lead_id'] as string;
    case 'enriched':
      return (v['lead'] as { lead_id: string }).lead_id;
    case 'assign':
      return (v['enriched'] as { lead: { lead_id: string } }).lead.lead_id;
    case 'routed':
      return (v['lead'] as { lead_id: string }).lead_id;
    default:
      return `${(v as unknown as DeadLetter).stage}:${record.key}`;
  }
}

async function read(
  kafka: Kafka,
  codec: AvroCodec,
  d: Deployment,
  topic: (typeof COMPARED)[number],
): Promise<Map<string, Seen>> {
  const seen = new Map<string, Seen>();
  for (const r of await readToEnd(kafka, d.topics[topic.key])) {
    let value: unknown = await codec.decode(r.message.value, topic.schema);
    if (topic.key === 'dlq') {
      // The dead letter keeps the original bytes, whose schema id is the one of this prefix's
      // subject: compared decoded when they are a raw lead, as bytes when they never were one.
      const letter = value as DeadLetter;
      const original = await codec.decode(letter.value, 'RawLead').catch(() => letter.value);
      value = { ...letter, value: original };
    }
    const shown = comparable(value, d.prefix);
    const id = idOf(topic.key, shown, r);
    assert.ok(!seen.has(id), `${d.topics[topic.key]} holds ${id} twice`);
    seen.set(id, {
      id,
      key: r.key,
      partition: r.partition,
      offset: topic.ordered ? r.offset : null,
      headers: Object.fromEntries(
        Object.entries(r.message.headers ?? {}).map(([k, v]) => [k, perRunHeader(k, String(v))]),
      ),
      value: shown,
    });
  }
  return seen;
}

describe('pipeline-fused writes what the split normalizer, enricher and router write', () => {
  const dir = mkdtempSync(join(tmpdir(), 'lead-router-fused-'));
  const rulesFile = join(dir, 'rules.yaml');
  let kafka: Kafka;
  let codec: AvroCodec;
  let producer: BatchingProducer;
  const deployments: Deployment[] = [];

  before(async () => {
    writeFileSync(rulesFile, RULES);
    const stack = await testStack();
    kafka = createKafka({
      brokers: stack.brokers,
      clientId: 'e2e-fused',
      logger: createLogger('e2e', 'warn'),
    });
    codec = AvroCodec.connect(stack.registryUrl);
    producer = BatchingProducer.create(kafka);
    await producer.connect();
    const fused = serviceEntry('pipeline-fused');
    const plans: ServiceName[][] = [
      ['normalizer', 'enricher', 'router'],
      ['pipeline-fused', 'router'],
    ];
    for (const run of plans.keys()) {
      const prefix = uniquePrefix(run === 0 ? 'split' : 'fused');
      const { topics, declarations } = prefixedTopics(prefix);
      await ensureTopics(kafka, declarations);
      await codec.register(declarations);
      deployments.push({ prefix, topics, services: [] });
    }
    const start = async (run: number, name: ServiceName) => {
      const port = await freePort();
      const alongside = run === 1 ? alongsideEnv(fused, name) : {};
      const service = await startService(
        name,
        {
          ...DEMO_MODE_ENV,
          KAFKA_BROKERS: stack.brokers.join(','),
          SCHEMA_REGISTRY_URL: stack.registryUrl,
          TOPIC_PREFIX: deployments[run]!.prefix,
          LOG_LEVEL: 'warn',
          HTTP_HOST: '127.0.0.1',
          [serviceEntry(name).port.env]: String(port),
          ROUTING_RULES_FILE: rulesFile,
          // Recorded on every assigned lead (lr-assigned-by): the same name in both runs.
          ROUTER_INSTANCE_ID: 'router-e2e',
          KAFKA_SESSION_TIMEOUT_MS: '6000',
          ...alongside,
        },
        { port, logDir: join(dir, 'logs'), healthTimeoutMs: 240_000 },
      );
      deployments[run]!.services.push(service);
      return service;
    };
    // All five at once (starting is most of this spec's time).
    await startAll(plans.flatMap((names, run) => names.map((name) => start(run, name))));
  });

  after(async () => {
    await Promise.all(deployments.flatMap((d) => d.services.map((s) => s?.stop())));
    await producer?.disconnect();
  });

  it('gives every lead the same records, keys, headers and dead letters on every topic', async () => {
    const input = leads();
    for (const d of deployments) {
      await producer.sendAll(
        input.map(({ key, lead }) => ({
          topic: d.topics.raw,
          key,
          value: lead === null ? Buffer.from(`not avro ${key}`) : codec.encode(d.topics.raw, lead),
        })),
      );
    }
    const rejected = readLeadCorpus().filter((c) => c.expect.rejected).length;
    // Each lead ends routed or dead: every accepted lead on leads.routed, the rest in the DLQ.
    for (const d of deployments) {
      await waitFor(
        async () => {
          const routed = await readToEnd(kafka, d.topics.routed);
          const dead = await readToEnd(kafka, d.topics.dlq);
          return routed.length + dead.length >= TOTAL;
        },
        {
          timeoutMs: 60_000,
          intervalMs: 500,
          what: `${TOTAL} leads routed or dead on ${d.prefix}`,
        },
      );
    }

    for (const topic of COMPARED) {
      const [split, fused] = await Promise.all(
        deployments.map((d) => read(kafka, codec, d, topic)),
      );
      assert.deepEqual(
        [...fused!.keys()].sort(),
        [...split!.keys()].sort(),
        `${topic.key}: the same leads`,
      );
      for (const [id, record] of split!)
        assert.deepEqual(fused!.get(id), record, `${topic.key} ${id}`);
    }
    const dead = await read(kafka, codec, deployments[1]!, COMPARED[4]!);
    assert.equal(
      dead.size,
      rejected + UNDECODABLE,
      'the rejected leads and the undecodable records',
    );
    assert.equal(
      (await read(kafka, codec, deployments[1]!, COMPARED[3]!)).size,
      TOTAL - rejected - UNDECODABLE,
    );
  });

  it('runs normalize, enrich and match in one process, answering /health and /metrics for every stage', async () => {
    const fused = deployments[1]!.services.find((s) => s.name === 'pipeline-fused')!;
    const res = await fetch(`${fused.url}/health`);
    const body = (await res.json()) as { info: Record<string, { status: string }> };
    assert.equal(res.status, 200);
    // The producer, the erasure requests, and the normalizer's, enricher's and match's stages;
    // the stages' metrics are there once they have handled the leads of the test before.
    const stages = Object.keys(body.info).filter((name) => name.startsWith('stage-'));
    assert.equal(stages.length, 3, JSON.stringify(body.info));
    const metrics = await (await fetch(`${fused.url}/metrics`)).text();
    for (const group of ['normalizer', 'enricher', 'router']) {
      assert.match(metrics, new RegExp(`stage="${group}"`), `no metrics of ${group}`);
    }
  });
});

import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import {
  startFakeHubSpot,
  startFakeSalesforce,
  type FakeHubSpot,
  type FakeSalesforce,
} from '@lead-router/crm-fakes';
import type {
  ContactSeen,
  DeadLetter,
  DeliveryOutcome,
  EnrichedLead,
  NormalizedLead,
  RoutedLead,
} from '@lead-router/schemas';
import { readRaw, readTopic, waitFor, type ServiceProcess } from '@lead-router/testing';
import type { Admin } from 'kafkajs';
import { Pool } from 'pg';
import { runLeadctl } from '../integration/leadctl-cli.fixture';
import { fourDestinationsYaml } from './all-sinks.fixture';
import { inParallel, postLead, startPipeline, type Pipeline } from './pipeline.fixture';

const PG_URL = process.env['PG_URL'] || 'postgresql://postgres@127.0.0.1:5432/test';
const HUBSPOT_TOKEN = 'pat-e2e-erasure';
const SF_CLIENT_ID = 'e2e-erasure-consumer-key';
const SF_CLIENT_SECRET = 'e2e-erasure-consumer-secret';
const DESTINATIONS = ['crm', 'hub', 'warehouse', 'inbox'] as const;
const LEADS = 20;
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');

/** Every lead (all from DE) to all four destinations, one sales queue of two members. */
function rulesYaml(r: Parameters<typeof fourDestinationsYaml>[0]): string {
  return `id: e2e-erasure
version: '2026-12-01.1'
destinations:
${fourDestinationsYaml(r)}
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { crm: '005000000000ALI', hub: '101', warehouse: pg-alice, inbox: wh-alice } }
      - { id: bruno, owners: { crm: '005000000000BRU', hub: '102', warehouse: pg-bruno, inbox: wh-bruno } }
rules:
  - name: de-leads
    when: { path: lead.country, eq: DE }
    queue: sales
    destinations: [crm, hub, warehouse, inbox]
fallback:
  queue: sales
  destinations: [inbox]
`;
}

/** The end offset of each partition of a topic: where a replay's new records start. */
async function endOffsets(admin: Admin, topic: string): Promise<Map<number, bigint>> {
  const offsets = await admin.fetchTopicOffsets(topic);
  return new Map(offsets.map((o) => [o.partition, BigInt(o.high)]));
}

describe('right to erasure: forget, replay the whole pipeline from the start, and the person appears nowhere', () => {
  const run = randomBytes(3).toString('hex');
  const table = `lead_events_erasure_${run}`;
  const schema = `e2e_erasure_${run}`;
  let salesforce: FakeSalesforce;
  let hubspot: FakeHubSpot;
  let p: Pipeline;
  let pool: Pool;
  let admin: Admin;
  let env: Record<string, string>;

  before(async () => {
    salesforce = await startFakeSalesforce({
      clientId: SF_CLIENT_ID,
      clientSecret: SF_CLIENT_SECRET,
    });
    hubspot = await startFakeHubSpot({ tokens: [HUBSPOT_TOKEN] });
    pool = new Pool({ connectionString: PG_URL, max: 2 });
    p = await startPipeline('erasure', {
      indexer: { table, pgUrl: PG_URL },
      env: {
        ENRICH_DUPLICATES_WINDOW: '1h',
        HUBSPOT_E2E_TOKEN: HUBSPOT_TOKEN,
        SF_E2E_CLIENT_ID: SF_CLIENT_ID,
        SF_E2E_CLIENT_SECRET: SF_CLIENT_SECRET,
        PG_URL,
        PG_SCHEMA: schema,
      },
      rules: (demo) =>
        rulesYaml({
          salesforceUrl: salesforce.url,
          hubspotUrl: hubspot.url,
          inboxUrl: /url: (http:\/\/127\.0\.0\.1:\d+\/inbox)/.exec(demo)![1]!,
          pgSchema: schema,
        }),
      // Every service a lead passes through; no ad-platform source, so no source-fetcher.
      only: [
        'ingest',
        'normalizer',
        'enricher',
        'router',
        'sink-webhook',
        'sink-salesforce',
        'sink-hubspot',
        'sink-postgres',
      ],
      healthTimeoutMs: 120_000,
    });
    admin = p.kafka.admin();
    await admin.connect();
    env = { TOPIC_PREFIX: p.prefix, INDEX_TABLE: table, PG_URL };
  });
  after(async () => {
    await admin?.disconnect();
    await p?.close();
    await Promise.all([salesforce?.close(), hubspot?.close()]);
    if (pool) {
      await pool.query(`drop schema if exists ${schema} cascade`);
      await pool.query(`drop table if exists ${table}; drop table if exists ${table}_erased`);
      await pool.end();
    }
  });

  const traceRows = async () =>
    (await pool.query<{ lead_id: string; stage: string }>(`select lead_id, stage from ${table}`))
      .rows;
  const leadRows = async () =>
    (await pool.query<{ lead_id: string }>(`select lead_id from ${schema}.leads`)).rows.map(
      (r) => r.lead_id,
    );
  const outcomes = async () =>
    readTopic<DeliveryOutcome>(p.kafka, p.codec, p.topics.delivered, 'DeliveryOutcome');
  const inboxLeads = () =>
    p.inbox.deliveries().map((d) => (d.body as { data: { lead_id: string } }).data.lead_id);
  /** The changelog's entries, tombstones (null values) left out. */
  const contactsSeen = async () => {
    const out: { offset: string; value: ContactSeen }[] = [];
    for (const r of await readRaw(p.kafka, p.topics.contactsSeen)) {
      if (r.message.value === null) continue;
      out.push({
        offset: r.offset,
        value: await p.codec.decode<ContactSeen>(r.message.value, 'ContactSeen'),
      });
    }
    return out;
  };
  const sfWrites = (leadId: string) => salesforce.records()['Lead']?.[leadId]?.writes ?? 0;
  const hubWrites = (email: string) => hubspot.records()[email]?.writes ?? 0;

  it('deletes the rows, tombstones the contacts, records the CRM outcomes, and a replay and a DLQ replay bring none back', async () => {
    const started = Date.now();
    // Two leads of one person forgotten by email (the second a duplicate of the first), one
    // forgotten by lead id, and 17 others.
    const forgetEmail = `Forget.Me-${run}@acme-erasure.com`;
    const emailOf = new Map<string, string>();
    const ids = await inParallel(
      Array.from({ length: LEADS }, (_, i) => i),
      8,
      async (i) => {
        const email = i < 2 ? forgetEmail : `lead-${run}-${i}@acme-erasure.com`;
        const body = JSON.stringify({
          email,
          phone: `+49 151 ${String(20_000_000 + i * 7_919)}`,
          first_name: `Person${i}`,
          last_name: 'Erasure',
          company: 'Acme',
          country: 'DE',
        });
        // Ingest answers 503 while it sheds load (a busy machine): a sender tries again.
        const posted = await waitFor(
          async () => {
            const answer = await postLead(p.ingestUrl, body);
            return answer.status === 503 ? undefined : answer;
          },
          { timeoutMs: 60_000, intervalMs: 1_000, what: 'ingest to take the lead' },
        );
        assert.equal(posted.status, 202);
        emailOf.set(posted.body.lead_id!, email);
        return posted.body.lead_id!;
      },
    );
    const byEmail = [ids[0]!, ids[1]!];
    const byLead = ids[2]!;
    const forgotten = new Set([...byEmail, byLead]);
    const others = ids.filter((id) => !forgotten.has(id));

    // Every lead delivered to all four destinations and indexed.
    await waitFor(
      async () =>
        (await traceRows()).filter((r) => r.stage === 'delivered').length >=
        LEADS * DESTINATIONS.length,
      { timeoutMs: 120_000, intervalMs: 1_000, what: 'every delivery indexed' },
    );
    assert.equal((await leadRows()).length, LEADS);
    for (const id of forgotten) {
      assert.equal(sfWrites(id), 1, `lead ${id} in Salesforce`);
      assert.ok(inboxLeads().includes(id), `lead ${id} at the webhook receiver`);
    }
    // HubSpot keeps one contact per email: the two leads of the email update it.
    const hubBefore = hubWrites(forgetEmail.toLowerCase()) + hubWrites(forgetEmail);
    assert.ok(hubBefore >= 1, 'the email is a HubSpot contact');

    // The contacts-seen entries of the forgotten (their email's and phones' first leads).
    const seen = await contactsSeen();
    const forgottenKeys = new Set(
      seen.filter((r) => forgotten.has(r.value.lead_id)).map((r) => r.value.contact_key),
    );
    assert.ok(forgottenKeys.size >= 3, 'the email and phone entries of the forgotten');

    // Forget, with the real CLI.
    const byEmailRun = await runLeadctl(
      ['forget', '--email', forgetEmail, '--reason', 'GDPR-1234'],
      env,
    );
    assert.equal(byEmailRun.code, 0, byEmailRun.stderr);
    assert.ok(!byEmailRun.stdout.includes(forgetEmail), 'the CLI never prints the email');
    const byLeadRun = await runLeadctl(['forget', '--lead', byLead, '--reason', 'GDPR-1235'], env);
    assert.equal(byLeadRun.code, 0, byLeadRun.stderr);
    const digest = sha256(`Forget.Me-${run}@acme-erasure.com`);

    // The trace index and sink-postgres delete their rows; the others stay.
    await waitFor(
      async () => {
        const rows = await traceRows();
        const table = await leadRows();
        return (
          rows.every((r) => !forgotten.has(r.lead_id)) && table.every((id) => !forgotten.has(id))
        );
      },
      { timeoutMs: 30_000, intervalMs: 500, what: "the forgotten leads' rows deleted" },
    );
    const indexed = new Set((await traceRows()).map((r) => r.lead_id));
    for (const id of others) assert.ok(indexed.has(id), `lead ${id} still traced`);
    assert.deepEqual((await leadRows()).sort(), [...others].sort(), 'the other rows remain');

    // The enricher tombstones each of their contact entries.
    await waitFor(
      async () => {
        const records = await readRaw(p.kafka, p.topics.contactsSeen);
        const tombstoned = new Set(
          records.filter((r) => r.message.value === null).map((r) => r.message.key?.toString()),
        );
        return [...forgottenKeys].every((k) => tombstoned.has(k));
      },
      { timeoutMs: 30_000, intervalMs: 500, what: 'tombstones for the forgotten contacts' },
    );

    // The CRM and webhook sinks record ERASURE_REQUESTED per destination, under the subject.
    await waitFor(
      async () =>
        (await outcomes()).filter((o) => o.value.status === 'ERASURE_REQUESTED').length >= 6,
      { timeoutMs: 30_000, intervalMs: 500, what: 'the ERASURE_REQUESTED outcomes' },
    );
    const erasureOutcomes = (await outcomes())
      .map((o) => o.value)
      .filter((o) => o.status === 'ERASURE_REQUESTED');
    assert.deepEqual(erasureOutcomes.map((o) => `${o.lead_id} ${o.destination_id}`).sort(), [
      `email:${digest} crm`,
      `email:${digest} hub`,
      `email:${digest} inbox`,
      `lead:${byLead} crm`,
      `lead:${byLead} hub`,
      `lead:${byLead} inbox`,
    ]);
    const trace = await runLeadctl(['trace', `lead:${byLead}`], env);
    assert.match(trace.stdout, /erasure requested .* nothing was deleted in crm/);
    const ownTrace = await runLeadctl(['trace', byLead], env);
    assert.doesNotMatch(ownTrace.stdout, /delivered to|normalized/, 'the lead has no trace left');

    // Replay the whole pipeline from the start: every service stopped; the group that reads what
    // enters the pipeline (the normalizer's on leads.raw), every indexer group and every group on
    // privacy.erasures moved to the earliest offsets; every service started again, so every
    // stage handles the replay's output and the indexer reads every lead topic again. (Moving
    // each stage's group back as well has it read its old input and its upstream's replayed
    // output: two to six copies of a lead at once at a sink, and sink-hubspot retries a batch's
    // leads of one email on every attempt while the copies stay together.)
    const leadTopics = [
      p.topics.normalized,
      p.topics.enriched,
      p.topics.routed,
      p.topics.delivered,
      p.topics.attempts,
    ];
    const replayFrom = new Map<string, Map<number, bigint>>();
    for (const topic of leadTopics) replayFrom.set(topic, await endOffsets(admin, topic));
    const inboxBefore = inboxLeads().length;
    const names = [...p.services.keys()];
    await Promise.all([...p.services.values()].map((s: ServiceProcess) => s.stop()));
    const { groups } = await admin.listGroups();
    const moved: string[] = [];
    const movedBack = (groupId: string, topic: string) =>
      topic === p.topics.raw ||
      topic === p.topics.erasures ||
      groupId.startsWith(`${p.prefix}lead-router.indexer`);
    for (const { groupId } of groups.filter((g) => g.groupId.startsWith(p.prefix))) {
      for (const { topic, partitions } of await admin.fetchOffsets({ groupId })) {
        if (partitions.every((x) => Number(x.offset) < 0) || !movedBack(groupId, topic)) continue;
        await admin.resetOffsets({ groupId, topic, earliest: true });
        moved.push(`${groupId.slice(p.prefix.length)} ${topic.slice(p.prefix.length)}`);
      }
    }
    for (const group of [
      'lead-router.normalizer leads.raw',
      'lead-router.indexer.leads.raw leads.raw',
      'lead-router.indexer.leads.routed leads.routed',
      'lead-router.sink-hubspot.erasures privacy.erasures',
    ]) {
      assert.ok(moved.includes(group), `${group} moved back (of ${moved.join(', ')})`);
    }
    const replayStarted = Date.now();
    await Promise.all(names.map((name) => p.start(name)));

    // The replay demonstrably ran: every other lead delivered again to every destination (its
    // outcomes after the replay's start), and no group is behind.
    const afterReplay = async <T>(topic: string, schemaName: Parameters<typeof readTopic>[3]) =>
      (await readTopic<T>(p.kafka, p.codec, topic, schemaName)).filter(
        (r) => BigInt(r.offset) >= replayFrom.get(topic)!.get(r.partition)!,
      );
    await waitFor(
      async () => {
        const again = (await afterReplay<DeliveryOutcome>(p.topics.delivered, 'DeliveryOutcome'))
          .map((r) => r.value)
          .filter((o) => o.status === 'DELIVERED');
        return new Set(again.map((o) => `${o.lead_id}/${o.destination_id}`)).size >=
          others.length * DESTINATIONS.length
          ? true
          : undefined;
      },
      { timeoutMs: 180_000, intervalMs: 1_000, what: 'the other leads delivered again' },
    );
    // The indexer, the last reader, has indexed the replay's outcomes too.
    await waitFor(
      async () =>
        (await traceRows()).filter((r) => r.stage === 'delivered' && others.includes(r.lead_id))
          .length >=
        2 * others.length * DESTINATIONS.length,
      { timeoutMs: 120_000, intervalMs: 1_000, what: "the replay's outcomes indexed" },
    );
    const replayed = Date.now();

    // ...and the forgotten appear nowhere.
    assert.deepEqual(
      (await traceRows()).filter((r) => forgotten.has(r.lead_id)),
      [],
      'not in the trace index',
    );
    assert.deepEqual((await leadRows()).sort(), [...others].sort(), 'not in sink-postgres');
    for (const id of forgotten) {
      assert.equal(sfWrites(id), 1, `no new Salesforce write for ${id}`);
      assert.equal(inboxLeads().filter((l) => l === id).length, 1, `no new webhook for ${id}`);
    }
    for (const id of others) assert.ok(sfWrites(id) >= 2, `lead ${id} written again`);
    assert.ok(inboxLeads().length > inboxBefore, 'the receiver saw the others again');
    assert.equal(
      hubWrites(forgetEmail.toLowerCase()) + hubWrites(forgetEmail),
      hubBefore,
      'no new HubSpot write of the email',
    );
    const leadIdOf = {
      [p.topics.normalized]: (v: unknown) => (v as NormalizedLead).lead_id,
      [p.topics.enriched]: (v: unknown) => (v as EnrichedLead).lead.lead_id,
      [p.topics.routed]: (v: unknown) => (v as RoutedLead).lead.lead_id,
      [p.topics.delivered]: (v: unknown) => (v as DeliveryOutcome).lead_id,
      [p.topics.attempts]: (v: unknown) => (v as { lead_id: string }).lead_id,
    };
    const schemas = {
      [p.topics.normalized]: 'NormalizedLead',
      [p.topics.enriched]: 'EnrichedLead',
      [p.topics.routed]: 'RoutedLead',
      [p.topics.delivered]: 'DeliveryOutcome',
      [p.topics.attempts]: 'DeliveryAttempt',
    } as const;
    for (const topic of leadTopics) {
      const records = await afterReplay<unknown>(topic, schemas[topic]!);
      assert.ok(records.length > 0, `${topic} written by the replay`);
      const theirs = records.filter((r) => forgotten.has(leadIdOf[topic]!(r.value)));
      assert.deepEqual(theirs.length, 0, `no record of the forgotten on ${topic} after the replay`);
    }
    const entries = await contactsSeen();
    assert.ok(entries.length > 0);
    const lastOf = new Map<string, bigint>();
    for (const r of await readRaw(p.kafka, p.topics.contactsSeen)) {
      if (r.message.value === null) lastOf.set(r.message.key!.toString(), BigInt(r.offset));
    }
    assert.deepEqual(
      entries
        .filter((e) => forgotten.has(e.value.lead_id))
        .filter((e) => BigInt(e.offset) > (lastOf.get(e.value.contact_key) ?? -1n))
        .map((e) => e.value.contact_key),
      [],
      'no contacts-seen entry of theirs after its tombstone',
    );

    // A dead letter of a forgotten lead: the DLQ replay re-produces nothing.
    const raw = (await readRaw(p.kafka, p.topics.raw)).find((r) => {
      const text = r.message.value?.toString('latin1') ?? '';
      return text.includes(byEmail[0]!);
    });
    assert.ok(raw, 'the raw record of the forgotten lead');
    const letter: DeadLetter = {
      stage: 'normalizer',
      topic: p.topics.raw,
      partition: raw.partition,
      offset: raw.offset,
      key: raw.message.key ?? null,
      value: raw.message.value,
      headers: {},
      lead_id: byEmail[0]!,
      error_code: 'e2e_dead',
      error: 'dead-lettered by the erasure e2e',
      attempts: 1,
      failed_at: Date.now(),
    };
    await p.codec.registerTopic(p.topics.dlq, 'DeadLetter');
    const producer = p.kafka.producer();
    await producer.connect();
    await producer.send({
      topic: p.topics.dlq,
      messages: [{ key: byEmail[0]!, value: p.codec.encode(p.topics.dlq, letter) }],
    });
    await producer.disconnect();
    const rawEnd = await endOffsets(admin, p.topics.raw);
    const dlq = await runLeadctl(['dlq', 'replay', '--lead', byEmail[0]!], env);
    assert.equal(dlq.code, 0, dlq.stderr);
    assert.match(dlq.stdout, /replayed 0 records; skipped 1 of a person who asked to be forgotten/);
    assert.deepEqual(await endOffsets(admin, p.topics.raw), rawEnd, 'nothing re-produced');

    process.stdout.write(
      `# ${LEADS} leads delivered, 3 forgotten, replayed in ${((replayed - replayStarted) / 1000).toFixed(1)} s; whole test ${((Date.now() - started) / 1000).toFixed(1)} s\n`,
    );
  });
});

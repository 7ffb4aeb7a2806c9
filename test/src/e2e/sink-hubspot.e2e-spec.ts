import assert from 'node:assert/strict';
import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startFakeHubSpot, type FakeHubSpot } from '@lead-router/crm-fakes';
import { freePort } from '@lead-router/local-stack';
import { serviceEntry, type RoutedLead } from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  destinationFixture,
  routedLeadFixture,
  startService,
  testStack,
  waitFor,
  type ServiceProcess,
} from '@lead-router/testing';
import { Pool } from 'pg';
import { runLeadctl } from '../integration/leadctl-cli.fixture';
import { sinkProcessFixture, type SinkProcessFixture } from './sink-process.fixture';

const PG_URL = process.env['PG_URL'] || 'postgresql://postgres@127.0.0.1:5432/test';

const TOKEN = 'pat-e2e-hubspot';
const RULE_SET = { rule_set_id: 'e2e-hubspot', rule_set_version: '2026-12-01.1' };

/** The rule set the leads were routed by: one hubspot destination pointing at the fake. */
const rulesYaml = (hubspotUrl: string) => `
id: ${RULE_SET.rule_set_id}
version: '${RULE_SET.rule_set_version}'
destinations:
  hub:
    type: hubspot
    base_url: ${hubspotUrl}
    token: { env: HUBSPOT_E2E_TOKEN }
    account_time_zone: Europe/Berlin
queues:
  sales:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { hub: '101' } }
      - { id: bruno, owners: { hub: '102' } }
rules:
  - name: everyone-in-germany
    when: { path: lead.country, eq: DE }
    queue: sales
    destinations: [hub]
fallback:
  queue: sales
  destinations: [hub]
`;

interface HubSpotSinkFixture extends SinkProcessFixture {
  hub: FakeHubSpot;
}

/** sink-hubspot as its own process on this test's topics, Redis keys and fake HubSpot. */
async function hubspotSinkFixture(
  name: string,
  options: { dailyLimit?: number } = {},
): Promise<HubSpotSinkFixture> {
  const hub = await startFakeHubSpot({ tokens: [TOKEN], ...options });
  const fx = await sinkProcessFixture(name, 'sink-hubspot', {
    rulesYaml: rulesYaml(hub.url),
    env: { HUBSPOT_E2E_TOKEN: TOKEN },
  });
  return {
    ...fx,
    hub,
    async close() {
      await fx.close();
      await hub.close();
    },
  };
}

/** The trace indexer and `leadctl trace` over the fixture's topics, in a table of their own. */
interface TraceIndex {
  /** Polls `leadctl trace <leadId>`, run as the real CLI, until its output matches `until`. */
  traceUntil(leadId: string, until: RegExp): Promise<string>;
  close(): Promise<void>;
}

async function traceIndex(fx: SinkProcessFixture): Promise<TraceIndex> {
  const { brokers, registryUrl } = await testStack();
  const table = `lead_events_e2e_${randomBytes(4).toString('hex')}`;
  const port = await freePort();
  const indexer = await startService(
    'indexer',
    {
      ...DEMO_MODE_ENV,
      KAFKA_BROKERS: brokers.join(','),
      SCHEMA_REGISTRY_URL: registryUrl,
      TOPIC_PREFIX: fx.prefix,
      [serviceEntry('indexer').port.env]: String(port),
      HTTP_HOST: '127.0.0.1',
      INDEX_TABLE: table,
      PG_URL,
      KAFKA_SESSION_TIMEOUT_MS: '6000',
      LOG_LEVEL: 'warn',
    },
    { port, logDir: join(mkdtempSync(join(tmpdir(), 'lead-router-indexer-')), 'logs') },
  );
  const env = { TOPIC_PREFIX: fx.prefix, INDEX_TABLE: table, PG_URL };
  return {
    traceUntil: (leadId, until) =>
      waitFor(
        async () => {
          const run = await runLeadctl(['trace', leadId], env);
          return run.code === 0 && until.test(run.stdout) ? run.stdout : undefined;
        },
        { timeoutMs: 60_000, intervalMs: 500, what: `the trace of ${leadId} to match ${until}` },
      ),
    async close() {
      await indexer.stop();
      const pool = new Pool({ connectionString: PG_URL, max: 1 });
      await pool.query(`drop table if exists ${table}`);
      await pool.end();
    },
  };
}

const ISO = String.raw`(\d{4}-\d\d-\d\dT[\d:.]+Z)`;

/** The lines of one destination's block in a `leadctl trace` output: header, attempts, outcome. */
function deliveryBlock(out: string, destination: string): string[] {
  const lines = out.trimEnd().split('\n');
  const start = lines.findIndex((l) => l.startsWith(`  delivery to ${destination} (`));
  assert.ok(start > 0, `a delivery block for ${destination} in:\n${out}`);
  const end = lines.findIndex((l, i) => i > start && !l.startsWith('    '));
  return lines.slice(start, end === -1 ? undefined : end);
}

/** `count` leads routed to the hubspot destination, each with its own email and owner. */
function routedLeads(count: number): RoutedLead[] {
  const run = randomBytes(3).toString('hex');
  return Array.from({ length: count }, (_, i) =>
    routedLeadFixture({
      lead: { lead_id: randomUUID(), email: `lead-${run}-${i}@example.com` },
      decision: RULE_SET,
      destinations: [
        destinationFixture({ id: 'hub', type: 'hubspot', url: null, owner_id: String(1000 + i) }),
      ],
    }),
  );
}

/** Every lead is one contact with its owner and has exactly one DELIVERED outcome. */
async function assertAllLanded(fx: HubSpotSinkFixture, leads: RoutedLead[]) {
  await waitFor(
    async () =>
      new Set((await fx.outcomes()).filter((o) => o.status === 'DELIVERED').map((o) => o.lead_id))
        .size >= leads.length,
    { timeoutMs: 120_000, what: `${leads.length} DELIVERED outcomes` },
  );
  const contacts = fx.hub.records();
  assert.equal(Object.keys(contacts).length, leads.length, 'one contact per lead');
  for (const lead of leads) {
    const contact = contacts[lead.lead.email!];
    assert.ok(contact, `${lead.lead.email} is a contact`);
    assert.equal(contact.hubspot_owner_id, lead.destinations[0]!.owner_id, 'the router’s owner');
  }
  const outcomes = await fx.outcomes();
  assert.equal(outcomes.length, leads.length, 'one outcome per lead, no more');
  assert.deepEqual(outcomes.map((o) => o.lead_id).sort(), leads.map((l) => l.lead.lead_id).sort());
  assert.ok(outcomes.every((o) => o.status === 'DELIVERED' && o.destination_id === 'hub'));
  const ids = new Map(Object.values(contacts).map((c) => [c.properties['email'], c.id]));
  for (const o of outcomes) {
    const lead = leads.find((l) => l.lead.lead_id === o.lead_id)!;
    assert.equal(o.external_id, ids.get(lead.lead.email!), 'the outcome names the contact');
  }
  assert.deepEqual(fx.hub.violations(), [], 'the fake counted no violation');
  return outcomes;
}

describe('sink-hubspot as its own process', () => {
  let fx: HubSpotSinkFixture;
  let sink: ServiceProcess;
  before(async () => {
    fx = await hubspotSinkFixture('e2e-hubspot');
    sink = await fx.start();
  });
  after(async () => {
    await sink?.stop();
    await fx?.close();
  });

  it('delivers 1,000 routed leads as 1,000 contacts with their owners, one outcome each', async () => {
    const leads = routedLeads(1000);
    await fx.produce(leads);
    const outcomes = await assertAllLanded(fx, leads);
    assert.ok(outcomes.every((o) => o.attempts === 1));
    const upserts = fx.hub.requests().filter((r) => r.path.endsWith('/batch/upsert'));
    assert.ok(upserts.length >= 10, `${upserts.length} batch requests for 1,000 leads`);
    assert.ok(upserts.every((r) => r.status === 200));
  });
});

describe('sink-hubspot through a 5xx storm', () => {
  let fx: HubSpotSinkFixture;
  let sink: ServiceProcess;
  let index: TraceIndex;
  before(async () => {
    fx = await hubspotSinkFixture('e2e-hubspot-storm');
    index = await traceIndex(fx);
    sink = await fx.start();
  });
  after(async () => {
    await sink?.stop();
    await index?.close();
    await fx?.close();
  });

  it('retries the leads through the retry tiers and lands them all', async () => {
    fx.hub.control.failRandomly(1, { status: 503 });
    const leads = routedLeads(300);
    await fx.produce(leads);
    await waitFor(async () => fx.hub.requests().some((r) => r.status === 503), {
      timeoutMs: 60_000,
      what: 'the storm to hit a request',
    });
    // The storm lasts a few seconds more, then HubSpot recovers.
    await new Promise((resolve) => setTimeout(resolve, 3_000));
    fx.hub.control.heal();
    const failedRequests = fx.hub.requests().filter((r) => r.status === 503).length;

    const outcomes = await assertAllLanded(fx, leads);
    const retried = outcomes.filter((o) => o.attempts > 1);
    assert.ok(retried.length > 0, 'some leads needed more than one attempt');
    process.stdout.write(
      `# storm: ${failedRequests} requests answered 503; ${retried.length} of 300 leads landed on a later attempt\n`,
    );

    // leadctl trace tells the retried lead's story: the 503 answers, the waits, then delivered.
    const lead = retried[0]!;
    const out = await index.traceUntil(lead.lead_id, /delivered to hub at/);
    const block = deliveryBlock(out, 'hub');
    process.stdout.write(`# leadctl trace ${lead.lead_id}:\n${out.replace(/^/gm, '#   ')}\n`);
    assert.equal(block[0], '  delivery to hub (hubspot):');
    const attempts = block.slice(1, -1);
    const failed = attempts.filter((l) => / RETRY \(HTTP 503\): HubSpot HTTP 503/.test(l));
    assert.ok(failed.length > 0, `a 503 answer in:\n${out}`);
    for (const line of failed) {
      assert.match(
        line,
        new RegExp(
          String.raw`^ {4}attempt \d+ at ${ISO}: RETRY \(HTTP 503\): HubSpot HTTP 503: .+; waiting until ${ISO} on ${fx.prefix.replace(/\./g, '\\.')}sink-hubspot\.retry\.\w+$`,
        ),
      );
      const [, at, until] = line.match(new RegExp(`at ${ISO}:.*waiting until ${ISO}`))!;
      assert.ok(Date.parse(until!) > Date.parse(at!), line);
    }
    const last = attempts[attempts.length - 1]!;
    assert.match(
      last,
      new RegExp(
        String.raw`^ {4}attempt ${lead.attempts} at ${ISO}: DELIVERED \(id there ${lead.external_id}; (?:alone|batch of \d+), \d+ ms\)$`,
      ),
    );
    // The delivering attempt came after every wait had run out.
    const deliveredAt = Date.parse(last.match(new RegExp(ISO))![1]!);
    for (const line of failed) {
      const until = line.match(new RegExp(`waiting until ${ISO}`))![1]!;
      assert.ok(deliveredAt >= Date.parse(until), `${last} after ${line}`);
    }
    assert.match(
      block[block.length - 1]!,
      new RegExp(
        String.raw`^ {4}delivered to hub at ${ISO} after ${lead.attempts} attempts, \d+ ms after capture; id there ${lead.external_id}$`,
      ),
    );
  });
});

describe('sink-hubspot when the daily quota is spent', () => {
  let fx: HubSpotSinkFixture;
  let sink: ServiceProcess;
  let index: TraceIndex;
  before(async () => {
    // An account whose daily limit was spent elsewhere: HubSpot answers 429 DAILY.
    fx = await hubspotSinkFixture('e2e-hubspot-quota', { dailyLimit: 0 });
    index = await traceIndex(fx);
    sink = await fx.start();
  });
  after(async () => {
    await sink?.stop();
    await index?.close();
    await fx?.close();
  });

  it('parks the destination until midnight, and leadctl trace shows each lead waiting for quota', async () => {
    const [first] = routedLeads(1);
    await fx.produce([first!]);
    const out = await index.traceUntil(first!.lead.lead_id, /WAIT_FOR_QUOTA/);
    process.stdout.write(
      `# leadctl trace ${first!.lead.lead_id}:\n${out.replace(/^/gm, '#   ')}\n`,
    );
    const waited = deliveryBlock(out, 'hub');
    // Midnight in the account's time zone (Europe/Berlin), at least a minute away.
    const until = (line: string) => Date.parse(line.match(new RegExp(`until ${ISO}`))![1]!);
    assert.match(
      waited[1]!,
      new RegExp(
        String.raw`^ {4}attempt 1 at ${ISO}: WAIT_FOR_QUOTA \(HTTP 429\): HubSpot daily limit: the daily limit is reached \(alone, \d+ ms\); waiting for quota until ${ISO} on \S+sink-hubspot\.retry\.\w+$`,
      ),
    );
    const midnight = until(waited[1]!);
    assert.equal(new Date(midnight).getUTCMinutes(), 0);
    assert.ok(midnight > Date.now() && midnight <= Date.now() + 25 * 3_600_000);
    assert.equal(waited[waited.length - 1], '    no outcome yet');

    // A lead that comes while the destination is parked is held without a request.
    const [second] = routedLeads(1);
    await fx.produce([second!]);
    const held = deliveryBlock(await index.traceUntil(second!.lead.lead_id, /PARKED/), 'hub');
    assert.match(
      held[1]!,
      new RegExp(
        String.raw`^ {4}attempt 1 at ${ISO}: held, not sent: PARKED: destination parked; waiting for quota until ${ISO} on \S+sink-hubspot\.retry\.\w+$`,
      ),
    );
    assert.equal(until(held[1]!), midnight);
    const upserts = fx.hub.requests().filter((r) => r.path.endsWith('/batch/upsert'));
    assert.equal(upserts.length, 1, 'one request, answered 429; none while parked');
    assert.equal(upserts[0]!.status, 429);
    assert.deepEqual(await fx.outcomes(), [], 'both leads wait in Kafka, with no outcome yet');
  });
});

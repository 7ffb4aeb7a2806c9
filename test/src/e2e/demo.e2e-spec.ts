import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { freePort } from '@lead-router/local-stack';
import { serviceManifest } from '@lead-router/schemas';
import { testStack, uniquePrefix, waitFor } from '@lead-router/testing';
import { Pool } from 'pg';

const repoRoot = resolve(__dirname, '..', '..', '..');
const PG_URL = process.env['PG_URL'] ?? 'postgresql://postgres@127.0.0.1:5432/test';
const API_KEY = 'lr_demo_key_web_form';

/**
 * The four leads of README's "The two commands", one per destination of the demo rules. The first
 * names its country in German and its phone without a country code, as people type them.
 */
const LEADS = {
  inbox: {
    email: 'jane@acme.io',
    phone: '0151 23456789',
    country: 'Deutschland',
    company: 'Acme',
  },
  salesforce: { email: 'kim@koala.com.au', last_name: 'Kim', country: 'AU', company: 'Koala' },
  hubspot: { email: 'tan@lion.sg', first_name: 'Wei', country: 'SG', company: 'Lion' },
  table: { email: 'thabo@baobab.co.za', country: 'ZA', company: 'Baobab' },
};

interface Started {
  child: ChildProcess;
  output: () => string;
  ports: Record<string, number>;
}

/**
 * `npm start`'s own entry (deploy/local/dist/start.cli.js) on free ports, against the test
 * run's broker and registry under a unique topic prefix, with its own leads and index tables.
 */
async function startDemo(prefix: string, pgTable: string, indexTable: string): Promise<Started> {
  const stack = await testStack();
  const ports: Record<string, number> = {
    INBOX_PORT: await freePort(),
    FAKE_SALESFORCE_PORT: await freePort(),
    FAKE_HUBSPOT_PORT: await freePort(),
  };
  for (const s of serviceManifest) {
    const name =
      s.port.env === 'PORT' ? `${s.name.toUpperCase().replace(/-/g, '_')}_PORT` : s.port.env;
    ports[name] = await freePort();
  }
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    ...Object.fromEntries(Object.entries(ports).map(([k, v]) => [k, String(v)])),
    KAFKA_BROKERS: stack.brokers.join(','),
    SCHEMA_REGISTRY_URL: stack.registryUrl,
    TOPIC_PREFIX: prefix,
    LEAD_ROUTER_DATA: mkdtempSync(join(tmpdir(), 'lead-router-demo-')),
    PG_URL,
    PG_TABLE: pgTable,
    INDEX_TABLE: indexTable,
    KAFKA_SESSION_TIMEOUT_MS: '6000',
    LOG_LEVEL: 'warn',
  };
  for (const key of [
    'ROUTING_RULES_FILE',
    'SALESFORCE_CLIENT_ID',
    'SALESFORCE_CLIENT_SECRET',
    'HUBSPOT_TOKEN',
    'INGEST_API_KEYS',
  ])
    delete env[key];
  let out = '';
  const child = spawn(
    process.execPath,
    [join(repoRoot, 'deploy', 'local', 'dist', 'start.cli.js')],
    {
      env,
      stdio: ['ignore', 'pipe', 'pipe'],
    },
  );
  child.stdout!.on('data', (b: Buffer) => (out += b.toString()));
  child.stderr!.on('data', (b: Buffer) => (out += b.toString()));
  await waitFor(
    () => {
      if (child.exitCode !== null)
        throw new Error(`npm start exited with ${child.exitCode}:\n${out}`);
      return out.includes('lead-router is running');
    },
    { timeoutMs: 240_000, what: 'the npm start banner', intervalMs: 200 },
  );
  return { child, output: () => out, ports };
}

const getJson = async <T>(url: string): Promise<T> => (await (await fetch(url)).json()) as T;

describe('npm start: the demo a newcomer sees', () => {
  const prefix = uniquePrefix('demo');
  const suffix = prefix.replace(/[^a-z0-9]/gi, '_').toLowerCase();
  const pgTable = `demo_leads_${suffix}`.slice(0, 40);
  const indexTable = `demo_events_${suffix}`.slice(0, 40);
  const pool = new Pool({ connectionString: PG_URL, max: 2 });
  let demo: Started;

  before(async () => {
    demo = await startDemo(prefix, pgTable, indexTable);
  });
  after(async () => {
    if (demo?.child.exitCode === null) {
      demo.child.kill('SIGINT');
      await new Promise((done) => demo.child.once('exit', done));
    }
    await pool
      .query(`drop table if exists ${pgTable}, ${pgTable}_migrations, ${pgTable}_migrations_lock`)
      .catch(() => undefined);
    await pool.query(`drop table if exists ${indexTable}`).catch(() => undefined);
    await pool.end();
  });

  it('prints each destination with its curl line and the listing to check', () => {
    const banner = demo.output();
    const { INGEST_PORT, INBOX_PORT, FAKE_SALESFORCE_PORT, FAKE_HUBSPOT_PORT } = demo.ports;
    assert.ok(banner.includes(`curl -X POST http://localhost:${INGEST_PORT}/v1/leads`), banner);
    for (const lead of Object.values(LEADS))
      assert.ok(banner.includes(JSON.stringify(lead)), banner);
    assert.ok(banner.includes(`curl http://127.0.0.1:${INBOX_PORT}/deliveries`), banner);
    assert.ok(
      banner.includes(`curl http://127.0.0.1:${FAKE_SALESFORCE_PORT}/_fake/records`),
      banner,
    );
    assert.ok(banner.includes(`curl http://127.0.0.1:${FAKE_HUBSPOT_PORT}/_fake/contacts`), banner);
    assert.ok(banner.includes(`from public.${pgTable}`), banner);
  });

  it('routes the README leads to the inbox, Salesforce, HubSpot and the leads table', async () => {
    const ingest = `http://localhost:${demo.ports['INGEST_PORT']}`;
    const ids: Record<string, string> = {};
    for (const [where, lead] of Object.entries(LEADS)) {
      const res = await fetch(`${ingest}/v1/leads`, {
        method: 'POST',
        headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
        body: JSON.stringify(lead),
      });
      assert.equal(res.status, 202, where);
      ids[where] = ((await res.json()) as { lead_id: string }).lead_id;
    }

    const inbox = `http://127.0.0.1:${demo.ports['INBOX_PORT']}`;
    const deliveries = await waitFor(
      async () => {
        const page = await getJson<{ deliveries: { body: { data: Record<string, unknown> } }[] }>(
          `${inbox}/deliveries`,
        );
        return page.deliveries.length >= 1 ? page.deliveries : undefined;
      },
      { timeoutMs: 90_000, what: 'the DE lead in the inbox' },
    );

    const salesforce = `http://127.0.0.1:${demo.ports['FAKE_SALESFORCE_PORT']}`;
    const leads = await waitFor(
      async () => {
        const records = await getJson<
          Record<
            string,
            Record<string, { Id: string; OwnerId: string; fields: Record<string, unknown> }>
          >
        >(`${salesforce}/_fake/records`);
        const lead = records['Lead'] ?? {};
        return Object.keys(lead).length >= 1 ? lead : undefined;
      },
      { timeoutMs: 90_000, what: 'the AU lead as a Salesforce Lead' },
    );

    const hubspot = `http://127.0.0.1:${demo.ports['FAKE_HUBSPOT_PORT']}`;
    const contacts = await waitFor(
      async () => {
        const all = await getJson<
          Record<string, { hubspot_owner_id?: string; properties: Record<string, string> }>
        >(`${hubspot}/_fake/contacts`);
        return Object.keys(all).length >= 1 ? all : undefined;
      },
      { timeoutMs: 90_000, what: 'the SG lead as a HubSpot contact' },
    );

    const rows = await waitFor(
      async () => {
        const exists = await pool.query(`select to_regclass('public.${pgTable}') as t`);
        if (exists.rows[0].t === null) return undefined;
        const result = await pool.query<{
          lead_id: string;
          owner_id: string;
          matched_rule: string;
          email: string;
        }>(
          `select lead_id, owner_id, matched_rule, lead#>>'{lead,email}' as email from public.${pgTable}`,
        );
        return result.rows.length >= 1 ? result.rows : undefined;
      },
      { timeoutMs: 90_000, what: 'the ZA lead as a row of the leads table' },
    );

    // Each lead where its rule sends it, and nowhere else.
    assert.deepEqual(
      deliveries.map((d) => d.body.data['lead_id']),
      [ids['inbox']],
    );
    const inboxLead = deliveries[0]!.body.data as Record<string, unknown> & {
      decision: Record<string, unknown>;
    };
    // Normalized on the way (issue 11's acceptance): the country code, and the phone in E.164.
    assert.equal(inboxLead['country'], 'DE');
    assert.equal(inboxLead['phone'], '+4915123456789');
    assert.equal(inboxLead['phone_country'], 'DE');
    assert.equal(inboxLead.decision['matched_rule'], 'emea-business');
    assert.equal(inboxLead.decision['rule_set_version'], '2026-12-01.2');
    assert.match(String(inboxLead['owner_id']), /^005-(alice|bruno)$/);

    assert.deepEqual(Object.keys(leads), [ids['salesforce']]);
    const sfLead = leads[ids['salesforce']!]!;
    assert.match(sfLead.OwnerId, /^005000000000(KAI|LIA)$/);
    assert.equal(sfLead.fields['Email'], LEADS.salesforce.email);
    assert.equal(sfLead.fields['LastName'], LEADS.salesforce.last_name);

    assert.deepEqual(Object.keys(contacts), [LEADS.hubspot.email]);
    const contact = contacts[LEADS.hubspot.email]!;
    assert.match(String(contact.hubspot_owner_id), /^7531000[12]$/);
    assert.equal(contact.properties['firstname'], LEADS.hubspot.first_name);
    assert.equal(contact.properties['country'], LEADS.hubspot.country);

    assert.deepEqual(rows, [
      {
        lead_id: ids['table'],
        owner_id: 'partner-zola',
        matched_rule: 'africa-to-leads-table',
        email: LEADS.table.email,
      },
    ]);
  });

  it('stops everything on Ctrl-C', async () => {
    const exited = new Promise<number | null>((done) =>
      demo.child.once('exit', (code) => done(code)),
    );
    demo.child.kill('SIGINT');
    assert.equal(await exited, 0, demo.output());
    assert.match(demo.output(), /\nstopped\n/);
    const answer = await fetch(
      `http://127.0.0.1:${demo.ports['FAKE_SALESFORCE_PORT']}/_fake/records`,
    ).catch((err: unknown) => err);
    assert.ok(answer instanceof Error, 'the demo Salesforce stopped with the rest');
  });
});

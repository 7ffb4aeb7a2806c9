import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { uniquePrefix, waitFor } from '@lead-router/testing';
import { Pool } from 'pg';
import { runLeadctl } from '../integration/leadctl-cli.fixture';
import { startEnrichmentPipeline, type EnrichmentPipeline } from './enrichment-pipeline.fixture';
import { tmpdir } from 'node:os';

const PG_URL = process.env['PG_URL'] || 'postgresql://postgres@127.0.0.1:5432/test';

/** Every lead goes to one account_owner queue that reads the owner the enricher matched. */
const RULES = `
id: accounts-e2e
version: '1'
destinations:
  crm:
    type: webhook
    url: http://127.0.0.1:9/never-called
    allow_private: true
queues:
  by-account:
    method: account_owner
    account_owner_path: enrichment.account.owner
    otherwise: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: alice, owners: { crm: sf-alice } }
      - { id: bruno, owners: { crm: sf-bruno } }
      - { id: carmen, owners: { crm: sf-carmen } }
rules:
  - name: everyone
    when: { path: lead.lead_id, exists: true }
    queue: by-account
    destinations: [crm]
fallback:
  queue: by-account
  destinations: [crm]
`;

const CSV = [
  'account_id,name,domains,owner,owner.crm,updated_at',
  // Owned by a CRM owner id only: the queue finds carmen by her owner id at crm.
  'ACC-ACME,Acme Ltd.,https://www.acme.co.uk,,sf-carmen,2026-11-30T09:00:00Z',
  // Owned by a member id; matched by its name when the lead mails from free mail.
  'ACC-AE,Analytical Engine Ltd,analytical-engines.com,bruno,,2026-11-30T09:00:00Z',
  'ACC-BAD,Globex,gmail.com,alice,,',
].join('\n');

describe('lead-to-account matching through the real pipeline', () => {
  const table = `lead_events_accounts_${randomBytes(4).toString('hex')}`;
  const prefix = uniquePrefix('accounts');
  const env = { TOPIC_PREFIX: prefix, INDEX_TABLE: table, PG_URL };
  let pipeline: EnrichmentPipeline;
  let importRun: Awaited<ReturnType<typeof runLeadctl>>;

  before(async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lead-router-accounts-'));
    const csv = join(dir, 'accounts.csv');
    writeFileSync(csv, CSV);
    // Imported before the enricher starts: it reads the accounts topic to its end first.
    importRun = await runLeadctl(['accounts', 'import', csv], env);
    pipeline = await startEnrichmentPipeline('accounts', {
      rulesYaml: RULES,
      prefix,
      indexer: { table, pgUrl: PG_URL },
      // As behind a reverse proxy on the same host: X-Forwarded-For from loopback names the client.
      ingestEnv: { INGEST_TRUSTED_PROXIES: 'loopback' },
    });
  });
  after(async () => {
    await pipeline?.close();
    const pool = new Pool({ connectionString: PG_URL, max: 1 });
    await pool.query(`drop table if exists ${table}`);
    await pool.end();
  });

  it('imports the good rows and reports the refused one with its reason', () => {
    assert.equal(importRun.code, 1, importRun.stderr);
    assert.deepEqual(importRun.stdout.trimEnd().split('\n'), [
      'line 2: ACC-ACME ok',
      'line 3: ACC-AE ok',
      'line 4: ACC-BAD refused: domains: "gmail.com" is a free mail provider: every lead mailing from it would match',
    ]);
    assert.match(importRun.stderr, /imported 2 accounts to \S+accounts, refused 1 row/);
  });

  it('routes a lead whose domain matches an account to its owner, and the trace says how', async () => {
    const leadId = await pipeline.post({
      email: 'ada@mail.acme.co.uk',
      company: 'ACME',
      country: 'GB',
    });
    const routed = await pipeline.routed(leadId);
    assert.deepEqual(
      { ...routed.enrichment.account },
      {
        account_id: 'ACC-ACME',
        name: 'Acme Ltd.',
        method: 'domain',
        score: 1,
        owner: 'sf-carmen',
        owner_ids: { crm: 'sf-carmen' },
      },
    );
    assert.equal(routed.decision.distribution?.method, 'account_owner');
    assert.equal(routed.decision.distribution?.chosen_member, 'carmen');
    assert.equal(routed.decision.owner_id, 'sf-carmen');

    const trace = await waitFor(
      async () => {
        const run = await runLeadctl(['trace', leadId], env);
        return run.code === 0 && /routed at/.test(run.stdout) ? run.stdout : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, what: `the trace of ${leadId}` },
    );
    const lines = trace.split('\n');
    const enriched = lines.findIndex((l) => /^ {2}enriched: company acme\.co\.uk/.test(l));
    assert.ok(enriched > 0, trace);
    assert.equal(
      lines[enriched + 1],
      '    account ACC-ACME (Acme Ltd.) matched by domain, score 1.00; owner sf-carmen',
    );
    assert.match(trace, /account_owner .*chose carmen; owner sf-carmen/);
  });

  it('matches a free-mail lead by its company name, fuzzily, to the owning member', async () => {
    const leadId = await pipeline.post({
      email: 'grace@gmail.com',
      company: 'Analytical Engines, Inc.',
      country: 'GB',
    });
    const routed = await pipeline.routed(leadId);
    assert.equal(routed.enrichment.account?.account_id, 'ACC-AE');
    assert.equal(routed.enrichment.account?.method, 'name_fuzzy');
    assert.ok(Math.abs(routed.enrichment.account!.score - (1 - 1 / 18)) < 1e-9);
    assert.equal(routed.decision.distribution?.chosen_member, 'bruno');
    assert.equal(routed.decision.distribution?.method, 'account_owner');
  });

  it('leaves a lead without an account to the queue otherwise method', async () => {
    const leadId = await pipeline.post({ email: 'joe@nobody-here.io', company: 'Nobody' });
    const routed = await pipeline.routed(leadId);
    assert.equal(routed.enrichment.account, null);
    assert.equal(routed.enrichment.enrichment_status['account'], 'no_match');
    assert.equal(routed.decision.distribution?.method, 'round_robin');
  });

  it('geolocates the client IP ingest captured, taking X-Forwarded-For from a trusted proxy only', async () => {
    // 193.99.144.80 is heise.de's, in Germany for decades (and a corpus case).
    const forwarded = { 'x-forwarded-for': '193.99.144.80' };
    const viaProxy = await pipeline.post(
      { email: 'lin@proxied.example.de' },
      { headers: forwarded },
    );
    // A second ingest on the same topics, trusting no proxy: the same header is not believed,
    // the client is the socket's peer, this test on loopback, which no database places.
    const untrusted = await pipeline.startIngest({ INGEST_TRUSTED_PROXIES: '' });
    const direct = await pipeline.post(
      { email: 'lin@direct.example.de' },
      { ingestUrl: untrusted, headers: forwarded },
    );
    const geoOf = ({ lead, enrichment }: Awaited<ReturnType<EnrichmentPipeline['routed']>>) => ({
      client_ip: lead.client_ip,
      ip_country: enrichment.ip_country,
      ip_region: enrichment.ip_region,
      ip_geo: enrichment.enrichment_status['ip_geo'],
    });
    const { ip_region, ...proxied } = geoOf(await pipeline.routed(viaProxy));
    assert.deepEqual(proxied, { client_ip: '193.99.144.80', ip_country: 'DE', ip_geo: 'ok' });
    // Which German state GeoLite2 gives a hosting block is not stable; that it is one is.
    assert.ok(ip_region === null || ip_region.startsWith('DE-'), String(ip_region));
    assert.deepEqual(geoOf(await pipeline.routed(direct)), {
      client_ip: '127.0.0.1',
      ip_country: null,
      ip_region: null,
      ip_geo: 'no_match',
    });
  });

  it('follows the topic: an account imported while the enricher runs matches, a deleted one stops', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'lead-router-accounts-'));
    const csv = join(dir, 'later.csv');
    writeFileSync(csv, 'account_id,name,domains,owner\nACC-NEW,Newco,newco.io,alice\n');
    const imported = await runLeadctl(['accounts', 'import', csv], env);
    assert.equal(imported.code, 0, imported.stderr);
    // The enricher reads the import within a fetch; each try is a new lead from newco.io.
    const accountOfNextLead = async () =>
      (await pipeline.routed(await pipeline.post({ email: 'kim@newco.io', company: 'Newco' })))
        .enrichment.account;
    const matched = await waitFor(
      async () => {
        const account = await accountOfNextLead();
        return account?.account_id === 'ACC-NEW' ? account : undefined;
      },
      { timeoutMs: 30_000, intervalMs: 200, what: 'a newco.io lead matched to ACC-NEW' },
    );
    assert.equal(matched.owner, 'alice');

    const deleted = await runLeadctl(['accounts', 'delete', 'ACC-NEW'], env);
    assert.equal(deleted.code, 0, deleted.stderr);
    assert.equal(deleted.stdout, 'ACC-NEW: deleted\n');
    await waitFor(async () => (await accountOfNextLead()) === null, {
      timeoutMs: 30_000,
      intervalMs: 200,
      what: 'a newco.io lead matched to no account',
    });
  });
});

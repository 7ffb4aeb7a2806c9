import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { waitFor } from '@lead-router/testing';
import { Pool } from 'pg';
import { parse } from 'yaml';
import { runLeadctl } from '../integration/leadctl-cli.fixture';
import { postLead, startPipeline, type Pipeline } from './pipeline.fixture';

const PG_URL = process.env['PG_URL'] || 'postgresql://postgres@127.0.0.1:5432/test';
/** The demo rule set's version, as the trace quotes it (the pipeline routes by demo.yaml). */
const demoVersion = (
  parse(readFileSync(join(__dirname, '../../../deploy/local/rules/demo.yaml'), 'utf8')) as {
    version: string;
  }
).version;

describe('leadctl trace over the index the indexer keeps', () => {
  const table = `lead_events_e2e_${randomBytes(4).toString('hex')}`;
  let pipeline: Pipeline;
  let env: Record<string, string>;

  before(async () => {
    pipeline = await startPipeline('trace', { indexer: { table, pgUrl: PG_URL } });
    env = { TOPIC_PREFIX: pipeline.prefix, INDEX_TABLE: table, PG_URL };
  });
  after(async () => {
    await pipeline?.close();
    const pool = new Pool({ connectionString: PG_URL, max: 1 });
    await pool.query(`drop table if exists ${table}`);
    await pool.end();
  });

  /** Polls `leadctl trace` until its output holds `until`. */
  const traceUntil = (leadId: string, until: RegExp) =>
    waitFor(
      async () => {
        const run = await runLeadctl(['trace', leadId], env);
        return run.code === 0 && until.test(run.stdout) ? run.stdout : undefined;
      },
      { timeoutMs: 60_000, intervalMs: 300, what: `the trace of ${leadId} to match ${until}` },
    );

  it('prints a delivered lead stage by stage, with its routing decision and delivery', async () => {
    const posted = await postLead(
      pipeline.ingestUrl,
      JSON.stringify({
        email: 'jane@acme.io',
        phone: '+49 151 23456789',
        country: 'DE',
        company: 'Acme',
      }),
    );
    assert.equal(posted.status, 202);
    const leadId = posted.body.lead_id!;

    const out = await traceUntil(leadId, /delivered to demo-inbox/);
    const lines = out.trimEnd().split('\n');
    assert.equal(lines[0], `lead ${leadId}`);
    const at = (re: RegExp) => {
      const index = lines.findIndex((l) => re.test(l));
      assert.ok(index > 0, `${re} in:\n${out}`);
      return index;
    };
    const captured = at(
      /^ {2}captured via http from web-form at \S+Z; submitted email, phone, company$/,
    );
    const normalized = at(
      /^ {2}normalized at \S+Z: email at acme\.io, phone \(DE\), country DE \(issues: none\)$/,
    );
    const enriched = at(/^ {2}enriched: company acme\.io, business email$/);
    const routed = at(
      new RegExp(
        String.raw`^ {2}routed at \S+Z by rule set demo v${demoVersion.replace(/\./g, '\\.')}: rule emea-business` +
          String.raw` matched because .+; queue emea-sales; round_robin position \d+ of \[alice, bruno\] chose (alice|bruno); owner 005-(alice|bruno)$`,
      ),
    );
    const passedOver = at(
      /^ {6}rule free-mail-to-self-serve did not match: enrichment\.free_mail eq true \(was false\)$/,
    );
    const delivery = at(/^ {2}delivery to demo-inbox \(webhook\):$/);
    const attempt = at(
      /^ {4}attempt 1 at \S+Z: DELIVERED \(HTTP 200\) \((id there \S+; )?alone, \d+ ms\)$/,
    );
    const delivered = at(
      /^ {4}delivered to demo-inbox at \S+Z after 1 attempt \(HTTP 200\), \d+ ms after capture/,
    );
    assert.ok(captured < normalized && normalized < enriched && enriched < routed);
    assert.ok(routed < passedOver && passedOver < delivery);
    assert.deepEqual(
      [attempt, delivered],
      [delivery + 1, delivery + 2],
      'the attempt, then the outcome',
    );
    assert.doesNotMatch(out, /jane@acme\.io|151 23456789|\+4915123456789/);

    const pool = new Pool({ connectionString: PG_URL, max: 1 });
    try {
      const rows = await pool.query<{ stage: string; summary: unknown }>(
        `select stage, summary from ${table} where lead_id = $1`,
        [leadId],
      );
      assert.deepEqual(rows.rows.map((r) => r.stage).sort(), [
        'attempted',
        'captured',
        'delivered',
        'enriched',
        'normalized',
        'routed',
      ]);
      for (const r of rows.rows) {
        assert.doesNotMatch(JSON.stringify(r.summary), /jane@acme\.io|23456789/, r.stage);
      }
    } finally {
      await pool.end();
    }
  });

  it('prints the dead-letter reason of a lead a stage refused', async () => {
    const posted = await postLead(pipeline.ingestUrl, JSON.stringify({ email: 'not-an-email' }));
    assert.equal(posted.status, 202);
    const leadId = posted.body.lead_id!;
    const out = await traceUntil(leadId, /dead-lettered/);
    const lines = out.trimEnd().split('\n');
    assert.equal(lines.length, 3, out);
    assert.match(lines[1]!, /^ {2}captured via http from web-form at \S+Z; submitted email$/);
    assert.match(
      lines[2]!,
      /^ {2}dead-lettered by normalizer at \S+Z: neither a usable email nor a usable phone.* \(code no_contact, 1 attempt; original at .*leads\.raw\[\d\]@\d+\)$/,
    );

    const unknown = await runLeadctl(['trace', 'no-such-lead'], env);
    assert.equal(unknown.code, 1);
    assert.match(unknown.stderr, /not in the trace index/);
  });
});

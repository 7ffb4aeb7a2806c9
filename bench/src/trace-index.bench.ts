/**
 * Trace lookups (issue 5): a scratch trace-index table with 1,000,000 synthetic leads × 5 events,
 * filled with generate_series in PostgreSQL, then 1,000 `trace` lookups of random leads (the
 * query and the formatting `leadctl trace` runs), and a few whole `leadctl trace` processes.
 * The scratch table is dropped at the end.
 *
 *   node_modules/.bin/tsc -b bench && node_modules/.bin/node bench/dist/trace-index.bench.js
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import os from 'node:os';
import { resolve } from 'node:path';
import { ensureTraceTable, findTrace, formatTrace } from '@lead-router/trace';
import { Pool } from 'pg';

const PG_URL = process.env['PG_URL'] || 'postgresql://postgres@127.0.0.1:5432/test';
const LEADS = Number(process.env['TRACE_BENCH_LEADS'] ?? 1_000_000);
const LOOKUPS = 1_000;
const CLI_RUNS = 20;
const repoRoot = resolve(__dirname, '..', '..');

const out = (line: string) => process.stdout.write(`${line}\n`);
const percentile = (sorted: readonly number[], p: number) =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))]!;
const leadId = (n: number) => `00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

const decision = {
  decision: {
    rule_set_id: 'demo',
    rule_set_version: '2026-11-25.1',
    matched_rule: 'emea-business',
    fallback: false,
    reason: 'segment emea (lead.country "DE" in ["DE","FR","GB","ES","IT","NL"])',
    queue: 'emea-sales',
    owner_id: '005-alice',
    distribution: {
      method: 'round_robin',
      position: 4,
      members: ['alice', 'bruno'],
      chosen_member: 'alice',
      skipped: [{ member: 'bruno', reason: 'out of working hours (Europe/Berlin 09:00-17:00)' }],
      weights: {},
      loads: {},
      overflowed_from: [],
    },
    evaluated: [
      {
        rule: 'free-mail-to-self-serve',
        matched: false,
        conditions: [
          {
            path: 'enrichment.free_mail',
            op: 'eq',
            expected: 'true',
            actual: 'false',
            result: false,
          },
        ],
      },
    ],
    decided_at: 0,
  },
  destinations: [
    {
      id: 'demo-inbox',
      type: 'webhook',
      url: 'http://localhost:8090/inbox',
      owner_id: '005-alice',
    },
  ],
  received_at: 0,
};

/** topic, stage, delay after capture (ms), summary. */
const EVENTS: [string, string, number, object][] = [
  [
    'leads.raw',
    'captured',
    0,
    {
      source: 'web-form',
      channel: 'http',
      source_lead_id: null,
      has_email: true,
      has_phone: true,
      has_name: true,
      has_company: true,
      attributes: 3,
    },
  ],
  [
    'leads.normalized',
    'normalized',
    12,
    {
      has_email: true,
      has_phone: true,
      email_domain: 'acme.io',
      country: 'DE',
      phone_country: 'DE',
      issues: [],
    },
  ],
  [
    'leads.enriched',
    'enriched',
    25,
    { company_domain: 'acme.io', email_domain: 'acme.io', free_mail: false, country: 'DE' },
  ],
  ['leads.routed', 'routed', 40, decision],
  [
    'leads.delivered',
    'delivered',
    84,
    {
      destination_id: 'demo-inbox',
      destination_type: 'webhook',
      status: 'DELIVERED',
      attempts: 1,
      http_status: 200,
      external_id: null,
      error: null,
      owner_id: '005-alice',
      rule_set_version: '2026-11-25.1',
      speed_to_lead_ms: 84,
    },
  ],
];

async function main(): Promise<void> {
  const table = `trace_bench_${randomBytes(4).toString('hex')}`;
  const pool = new Pool({ connectionString: PG_URL, max: 1 });
  try {
    await ensureTraceTable(pool, table);
    // Loading without the secondary index, then building it once, is how a backfill would run.
    await pool.query(`drop index ${table}_lead_at_idx`);
    const fillStart = performance.now();
    const values = EVENTS.map(
      (_, i) => `($${i * 4 + 1}, $${i * 4 + 2}, $${i * 4 + 3}::int, $${i * 4 + 4}::jsonb)`,
    ).join(', ');
    await pool.query(
      `insert into ${table} (topic, partition, "offset", lead_id, stage, at, summary)
       select e.topic, g % 6, g, '00000000-0000-4000-8000-' || lpad(g::text, 12, '0'), e.stage,
              timestamptz '2026-11-01T00:00:00Z' + g * interval '2 seconds' + e.delay * interval '1 millisecond',
              e.summary
       from generate_series(1, ${LEADS}) g
       cross join (values ${values}) as e(topic, stage, delay, summary)`,
      EVENTS.flatMap(([topic, stage, delay, summary]) => [
        topic,
        stage,
        delay,
        JSON.stringify(summary),
      ]),
    );
    const filled = performance.now() - fillStart;
    const indexStart = performance.now();
    await ensureTraceTable(pool, table);
    await pool.query(`analyze ${table}`);
    const indexed = performance.now() - indexStart;
    const size = await pool.query<{ rows: string; bytes: string }>(
      `select (select count(*) from ${table}) as rows, pg_size_pretty(pg_total_relation_size('${table}')) as bytes`,
    );
    out(
      `filled ${size.rows[0]!.rows} rows in ${(filled / 1000).toFixed(1)} s, index built in ${(indexed / 1000).toFixed(1)} s; ${size.rows[0]!.bytes}`,
    );

    for (let i = 0; i < 100; i++) await findTrace(pool, table, leadId(1 + ((i * 7919) % LEADS)));
    const times: number[] = [];
    let lines = 0;
    for (let i = 0; i < LOOKUPS; i++) {
      const id = leadId(1 + Math.floor(Math.random() * LEADS));
      const start = performance.now();
      const events = await findTrace(pool, table, id);
      const text = formatTrace(id, events);
      times.push(performance.now() - start);
      assert.equal(events.length, EVENTS.length, `lead ${id}: ${events.length} events`);
      lines += text.split('\n').length;
    }
    times.sort((a, b) => a - b);
    out(
      `${LOOKUPS} lookups (query + format, one connection): p50 ${percentile(times, 50).toFixed(2)} ms, ` +
        `p99 ${percentile(times, 99).toFixed(2)} ms, max ${times.at(-1)!.toFixed(2)} ms; ${(lines / LOOKUPS).toFixed(0)} lines each`,
    );
    const plan = await pool.query<{ 'QUERY PLAN': string }>(
      `explain select * from ${table} where lead_id = $1 order by at`,
      [leadId(42)],
    );
    out(`plan: ${plan.rows.map((r) => r['QUERY PLAN'].trim()).join(' / ')}`);

    const cli: number[] = [];
    for (let i = 0; i < CLI_RUNS; i++) {
      const id = leadId(1 + Math.floor(Math.random() * LEADS));
      const start = performance.now();
      execFileSync(
        process.execPath,
        [resolve(repoRoot, 'tools/leadctl/dist/main.js'), 'trace', id],
        {
          env: { ...process.env, PG_URL, INDEX_TABLE: table },
          stdio: 'pipe',
        },
      );
      cli.push(performance.now() - start);
    }
    cli.sort((a, b) => a - b);
    out(
      `${CLI_RUNS} whole \`leadctl trace\` processes (node start, connect, query, print): ` +
        `p50 ${percentile(cli, 50).toFixed(0)} ms, max ${cli.at(-1)!.toFixed(0)} ms`,
    );
    out(
      `machine: ${os.cpus().length} vCPUs (${os.cpus()[0]?.model ?? '?'}), Node ${process.version}`,
    );
  } finally {
    await pool.query(`drop table if exists ${table}`);
    await pool.end();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

/**
 * Partner-file import (issue 12, acceptance: "A 200,000-row CSV imports with a flat memory
 * profile (peak RSS reported), a progress bar, and an exact report of accepted and rejected
 * rows; importing it twice adds no lead"). Generates the file (a known 1 row in 211 without a
 * contact), imports it with `leadctl import` into ingest on a real broker while sampling
 * ingest's RSS every 100 ms, checks the saved report row by row against the rows it generated,
 * imports it again and counts distinct lead ids on leads.raw. Then a file four times as large on
 * the same ingest: a flat profile means its peak RSS stays where the first file's was.
 *
 *   npx nx run-many -t build -p bench ingest leadctl && node_modules/.bin/node bench/dist/import.bench.js
 *
 * Uses KAFKA_BROKERS and SCHEMA_REGISTRY_URL when both are set, else starts a local stack.
 * BENCH_IMPORT_ROWS sets the first file's rows (default 200,000); the second has four times as many.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { once } from 'node:events';
import { createReadStream, createWriteStream, mkdtempSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { freePort, startService } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import { prefixedTopics, serviceEntry } from '@lead-router/schemas';
import { readRaw } from '@lead-router/testing';
import { parse } from 'csv-parse';
import { machine, rssMb, peakRssMb, sleep } from './proc.stats';
import { benchKafka, benchStack } from './bench.stack';
import { DEMO_MODE_ENV } from '@lead-router/config';

const repoRoot = resolve(__dirname, '..', '..');
const leadctl = join(repoRoot, 'tools', 'leadctl', 'dist', 'main.js');
const ROWS = Number(process.env['BENCH_IMPORT_ROWS'] ?? 200_000);
const BAD_EVERY = 211;
const API_KEY = 'key-bench-partner';

const say = (msg: string): void => {
  process.stdout.write(`[import.bench ${new Date().toISOString().slice(11, 19)}] ${msg}\n`);
};

/** Writes `rows` data rows; row n lacks email and phone when n % 211 === 0. Returns its size. */
async function writeFile(path: string, rows: number, offset: number): Promise<number> {
  const out = createWriteStream(path);
  const write = async (line: string) => {
    if (!out.write(line)) await once(out, 'drain');
  };
  await write('Email,First Name,Last Name,Company,Phone,Country,Job Title,Campaign\n');
  for (let row = 1; row <= rows; row++) {
    const n = offset + row;
    await write(
      row % BAD_EVERY === 0
        ? `,First${n},Last${n},"Company ${n % 5000}, Inc.",,US,Buyer,spring-${n % 13}\n`
        : `lead${n}@example${n % 977}.com,First${n},Last${n},"Company ${n % 5000}, Inc.",+1 202 555 ${String(n % 10000).padStart(4, '0')},US,Head of Sales,spring-${n % 13}\n`,
    );
  }
  out.end();
  await once(out, 'close');
  return statSync(path).size;
}

interface ImportRun {
  seconds: number;
  rowsPerSec: number;
  ingestPeakMb: number;
  ingestBaseMb: number;
  /** ingest's RSS at each tenth of the import's duration, MB. */
  rssByTenth: number[];
  leadctlPeakMb: number;
  stdout: string;
}

async function importFile(
  ingestPid: number,
  url: string,
  file: string,
  report: string,
  rows: number,
): Promise<ImportRun> {
  const base = rssMb(ingestPid) ?? NaN;
  const samples: { t: number; mb: number }[] = [];
  let leadctlPeak = 0;
  const started = Date.now();
  const child = spawn(
    process.execPath,
    [leadctl, 'import', file, '--url', url, '--api-key', API_KEY, '--yes', '--report', report],
    // stderr is the progress bar (drawn when the bench runs in a terminal) and the mapping.
    { stdio: ['ignore', 'pipe', 'inherit'] },
  );
  let stdout = '';
  child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
  const exited = once(child, 'exit');
  let done = false;
  void exited.then(() => (done = true));
  while (!done) {
    const mb = rssMb(ingestPid);
    if (mb !== undefined) samples.push({ t: Date.now() - started, mb });
    leadctlPeak = Math.max(leadctlPeak, (child.pid && peakRssMb(child.pid)) || 0);
    await sleep(100);
  }
  const seconds = (Date.now() - started) / 1000;
  const tenths = Array.from({ length: 10 }, (_, i) => {
    const from = (i * seconds * 1000) / 10;
    const to = ((i + 1) * seconds * 1000) / 10;
    return Math.max(0, ...samples.filter((s) => s.t >= from && s.t < to).map((s) => s.mb));
  });
  return {
    seconds,
    rowsPerSec: rows / seconds,
    ingestPeakMb: Math.max(...samples.map((s) => s.mb)),
    ingestBaseMb: base,
    rssByTenth: tenths,
    leadctlPeakMb: leadctlPeak,
    stdout,
  };
}

/** The saved report, checked row by row: row n rejected exactly when n % 211 === 0. */
async function checkReport(
  report: string,
  rows: number,
): Promise<{ accepted: number; rejected: number; ids: string[] }> {
  let accepted = 0;
  let rejected = 0;
  let expectRow = 1;
  const ids: string[] = [];
  for await (const r of createReadStream(report).pipe(parse({ columns: true })) as AsyncIterable<
    Record<string, string>
  >) {
    assert.equal(Number(r['row']), expectRow, 'the report has every row, in order');
    const bad = expectRow % BAD_EVERY === 0;
    if (bad) {
      assert.deepEqual(
        [r['status'], r['reason']],
        ['rejected', 'row: expected an email or a phone, and neither was given'],
        `row ${expectRow}`,
      );
      rejected += 1;
    } else {
      assert.equal(r['status'], 'accepted', `row ${expectRow}: ${r['reason']}`);
      ids.push(r['lead_id']!);
      accepted += 1;
    }
    expectRow += 1;
  }
  assert.equal(expectRow - 1, rows, 'one report row per data row');
  return { accepted, rejected, ids };
}

async function main(): Promise<void> {
  const workDir = mkdtempSync(join(tmpdir(), 'lead-router-import-bench-'));
  const { brokers, registryUrl, stack } = await benchStack(workDir, say);
  const prefix = `bench-import-${Date.now()}.`;
  const port = await freePort();
  const ingest = await startService(
    'ingest',
    {
      ...DEMO_MODE_ENV,
      KAFKA_BROKERS: brokers,
      SCHEMA_REGISTRY_URL: registryUrl,
      TOPIC_PREFIX: prefix,
      [serviceEntry('ingest').port.env]: String(port),
      HTTP_HOST: '127.0.0.1',
      INGEST_API_KEYS: `${API_KEY}:partner-bench`,
      INGEST_IMPORT_DIR: join(workDir, 'reports'),
      LOG_LEVEL: 'warn',
    },
    { port, logDir: join(workDir, 'logs') },
  );
  const pid = ingest.process.pid!;
  const kafka = benchKafka(brokers, 'import-bench', createLogger('import-bench', 'warn'));
  const distinctLeads = async () =>
    new Set((await readRaw(kafka, prefixedTopics(prefix).topics.raw)).map((r) => r.key)).size;
  try {
    const file = join(workDir, 'partner.csv');
    const bytes = await writeFile(file, ROWS, 0);
    const expectedRejected = Math.floor(ROWS / BAD_EVERY);
    say(
      `${ROWS} rows, ${(bytes / 1e6).toFixed(1)} MB; ingest pid ${pid} at ${rssMb(pid)?.toFixed(0)} MB RSS`,
    );

    const first = await importFile(pid, ingest.url, file, join(workDir, 'report-1.csv'), ROWS);
    const report1 = await checkReport(join(workDir, 'report-1.csv'), ROWS);
    assert.deepEqual(
      [report1.accepted, report1.rejected],
      [ROWS - expectedRejected, expectedRejected],
    );
    const afterFirst = await distinctLeads();
    assert.equal(afterFirst, report1.accepted, 'one lead on leads.raw per accepted row');
    say(
      `import 1: ${first.seconds.toFixed(1)} s, ${first.rowsPerSec.toFixed(0)} rows/s, ingest RSS ${first.ingestBaseMb.toFixed(0)} → peak ${first.ingestPeakMb.toFixed(0)} MB; ${afterFirst} distinct leads on leads.raw`,
    );

    const second = await importFile(pid, ingest.url, file, join(workDir, 'report-2.csv'), ROWS);
    const report2 = await checkReport(join(workDir, 'report-2.csv'), ROWS);
    assert.deepEqual(
      report2.ids,
      report1.ids,
      'the second import gives every row the same lead id',
    );
    const afterSecond = await distinctLeads();
    assert.equal(afterSecond, afterFirst, 'the second import added no lead');
    say(
      `import 2: ${second.seconds.toFixed(1)} s, ${second.rowsPerSec.toFixed(0)} rows/s, peak ${second.ingestPeakMb.toFixed(0)} MB; distinct leads still ${afterSecond}`,
    );

    const big = join(workDir, 'partner-x4.csv');
    const bigBytes = await writeFile(big, 4 * ROWS, ROWS);
    const third = await importFile(pid, ingest.url, big, join(workDir, 'report-3.csv'), 4 * ROWS);
    const report3 = await checkReport(join(workDir, 'report-3.csv'), 4 * ROWS);
    assert.equal(report3.rejected, Math.floor((4 * ROWS) / BAD_EVERY));
    say(
      `import 3 (${4 * ROWS} rows, ${(bigBytes / 1e6).toFixed(1)} MB): ${third.seconds.toFixed(1)} s, ${third.rowsPerSec.toFixed(0)} rows/s, peak ${third.ingestPeakMb.toFixed(0)} MB`,
    );

    const result = {
      bench: 'import',
      rows: ROWS,
      fileMb: bytes / 1e6,
      rejected: expectedRejected,
      imports: [first, second, third].map(({ stdout: _s, ...r }) => r),
      x4FileMb: bigBytes / 1e6,
      distinctLeadsAfterFirst: afterFirst,
      distinctLeadsAfterSecond: afterSecond,
      ingestHwmMb: peakRssMb(pid),
      machine: machine(repoRoot),
    };
    process.stdout.write(`${JSON.stringify(result)}\n`);
    const flat = third.ingestPeakMb <= 1.15 * first.ingestPeakMb;
    say(
      `flat: the 4× file's peak ${third.ingestPeakMb.toFixed(0)} MB vs the first file's ${first.ingestPeakMb.toFixed(0)} MB (limit 1.15×): ${flat ? 'yes' : 'NO'}`,
    );
    if (!flat) process.exitCode = 1;
  } finally {
    await ingest.stop();
    await stack?.stop();
  }
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});

import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { AvroCodec, createKafka } from '@lead-router/kafka';
import { freePort } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import { prefixedTopics, serviceEntry, type RawLead } from '@lead-router/schemas';
import {
  DEMO_MODE_ENV,
  readTopic,
  startService,
  testStack,
  uniquePrefix,
  type ServiceProcess,
} from '@lead-router/testing';
import { parse } from 'csv-parse/sync';
import type { Kafka } from 'kafkajs';

const repoRoot = resolve(__dirname, '..', '..', '..');
const leadctl = resolve(repoRoot, 'tools', 'leadctl', 'dist', 'main.js');

const ROWS = 5000;
const HEADER = 'E-Mail,Vorname,Nachname,Firma,Telefon,Land,Kampagne';

/**
 * The partner file: 5,000 data rows, the bad ones and the repeated ones at known rows, and the
 * report each row must get. Row n is on line n + 1 (one header line, no line breaks in cells).
 */
function partnerFile(): { text: string; expected: Map<number, string | null>; repeats: number } {
  const lines = [HEADER];
  const expected = new Map<number, string | null>();
  let repeats = 0;
  for (let row = 1; row <= ROWS; row++) {
    const n = String(row).padStart(5, '0');
    if (row % 97 === 0) {
      lines.push(`,Kein,Kontakt,Firma ${n},,DE,herbst`);
      expected.set(row, 'row: expected an email or a phone, and neither was given');
    } else if (row % 250 === 0) {
      lines.push(`short${n}@example.com,Kurz`);
      expected.set(row, 'row: expected 7 fields as in the header, got 2');
    } else if (row === 1234) {
      lines.push(`${'x'.repeat(330)}@example.com,Lang,Adresse,Firma,,DE,herbst`);
      expected.set(row, 'email: expected a string of at most 320 characters');
    } else if (row % 500 === 1 && row > 1) {
      // An exact copy of row 1: the same lead again, accepted with row 1's lead id.
      lines.push(lines[1]!);
      expected.set(row, null);
      repeats += 1;
    } else {
      lines.push(`lead${n}@example.com,Vor${n},Nach${n},"Firma ${n}, GmbH",+49 30 ${n},DE,herbst`);
      expected.set(row, null);
    }
  }
  return { text: `${lines.join('\n')}\n`, expected, repeats };
}

interface CliRun {
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * A partner file imported twice through `leadctl import` and ingest on a real broker: the report
 * gives every row its fate by row number, exactly, and the second import adds no lead to
 * leads.raw (the same rows arrive again with the same lead ids).
 */
describe('partner file import: leadctl import → ingest → leads.raw', () => {
  let ingest: ServiceProcess;
  let kafka: Kafka;
  let codec: AvroCodec;
  let rawTopic: string;
  const dir = mkdtempSync(join(tmpdir(), 'lead-router-csv-import-'));

  const run = (args: string[]): Promise<CliRun> =>
    new Promise((done) => {
      execFile(
        process.execPath,
        [leadctl, ...args],
        {
          cwd: repoRoot,
          env: { ...process.env, LEAD_ROUTER_API_KEY: 'key-acme' },
          timeout: 120_000,
        },
        (err, stdout, stderr) =>
          done({ code: err ? (typeof err.code === 'number' ? err.code : 1) : 0, stdout, stderr }),
      );
    });

  before(async () => {
    const shared = await testStack();
    const prefix = uniquePrefix('csv-import');
    rawTopic = prefixedTopics(prefix).topics.raw;
    const port = await freePort();
    ingest = await startService(
      'ingest',
      {
        ...DEMO_MODE_ENV,
        KAFKA_BROKERS: shared.brokers.join(','),
        SCHEMA_REGISTRY_URL: shared.registryUrl,
        TOPIC_PREFIX: prefix,
        [serviceEntry('ingest').port.env]: String(port),
        HTTP_HOST: '127.0.0.1',
        INGEST_API_KEYS: 'key-acme:partner-acme,key-web:web-form',
        INGEST_IMPORT_DIR: join(dir, 'reports'),
        LOG_LEVEL: 'error',
      },
      { port, logDir: join(dir, 'logs') },
    );
    kafka = createKafka({
      brokers: shared.brokers,
      clientId: 'csv-import-e2e',
      logger: createLogger('csv-import-e2e', 'silent'),
    });
    codec = AvroCodec.connect(shared.registryUrl);
  });
  after(async () => {
    await ingest?.stop();
  });

  it('reports every row exactly, and a second import of the file adds no lead', async () => {
    const { text, expected, repeats } = partnerFile();
    const file = join(dir, 'partner.csv');
    writeFileSync(file, text);
    const rejected = [...expected.values()].filter((r) => r !== null).length;
    const accepted = ROWS - rejected;
    assert.equal(rejected, 51 + 20 + 1, 'the file has the bad rows it was built with');

    const reports: {
      row: string;
      line: string;
      status: string;
      lead_id: string;
      reason: string;
    }[][] = [];
    for (const round of [1, 2]) {
      const report = join(dir, `report-${round}.csv`);
      const res = await run(['import', file, '--url', ingest.url, '--yes', '--report', report]);
      assert.equal(res.code, 1, res.stderr);
      assert.match(
        res.stdout,
        new RegExp(
          `^imported ${accepted} of ${ROWS} rows as "partner-acme" leads in [0-9.]+ s, rejected ${rejected} \\(import [0-9a-f-]{36}, report in ${report.replace(/[.]/g, '\\.')}\\)\\n$`,
        ),
      );
      assert.match(res.stderr, /E-Mail +→ email {2}\(guessed\)/);
      assert.match(res.stderr, /Kampagne +→ kampagne {2}\(kept as attribute\)/);
      reports.push(parse(readFileSync(report), { columns: true }));
    }

    const [first, second] = reports;
    assert.equal(first!.length, ROWS);
    for (const r of first!) {
      const row = Number(r.row);
      const reason = expected.get(row);
      assert.equal(r.line, String(row + 1), `row ${row}`);
      assert.deepEqual(
        [r.status, r.reason],
        reason === null ? ['accepted', ''] : ['rejected', reason],
        `row ${row}`,
      );
      assert.equal(r.lead_id !== '', reason === null, `row ${row}`);
    }
    assert.deepEqual(
      second!.map((r) => [r.row, r.status, r.lead_id]),
      first!.map((r) => [r.row, r.status, r.lead_id]),
    );

    const records = await readTopic<RawLead>(kafka, codec, rawTopic, 'RawLead');
    assert.equal(records.length, 2 * accepted, 'each import produced every accepted row');
    const ids = new Set(records.map((r) => r.key));
    assert.equal(ids.size, accepted - repeats, 'distinct leads: the accepted rows less the copies');
    assert.ok(records.every((r) => r.value.source === 'partner-acme'));
    const one = records.find((r) => r.value.email === 'lead00002@example.com')!.value;
    assert.deepEqual(
      [one.first_name, one.last_name, one.company, one.phone, one.country, one.attributes],
      ['Vor00002', 'Nach00002', 'Firma 00002, GmbH', '+49 30 00002', 'DE', { kampagne: 'herbst' }],
    );
  });
});

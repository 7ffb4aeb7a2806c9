import 'reflect-metadata';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { Module } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, type NestFastifyApplication } from '@nestjs/platform-fastify';
import { leadIdFor } from '@lead-router/capture';
import { AckTimeoutError } from '@lead-router/kafka';
import {
  createIngestMetrics,
  createLogger,
  createRegistry,
  createStageMetrics,
} from '@lead-router/observability';
import type { RawLead } from '@lead-router/schemas';
import { LOGGER, STAGE_METRICS } from '@lead-router/service-kit';
import { ApiKeyGuard } from './api-key.guard';
import { registerCsvBodyParser } from './csv-body.parser';
import { CsvLeadImporter, IMPORT_BATCH_SIZE } from './csv-lead.importer';
import { HttpExceptionFilter } from './http-exception.filter';
import { ImportReportStore } from './import-report.store';
import { INGEST_CONFIG, loadIngestConfig } from './ingest.config';
import { LeadPublisher } from './lead.publisher';
import { LeadsController } from './leads.controller';
import { LeadsImportController } from './leads-import.controller';
import { INGEST_METRICS } from './sources/ingest-metrics.provider';
import { DEMO_MODE_ENV } from '@lead-router/config';

/**
 * The import route over HTTP without Kafka: the publisher is a stand-in that records what it is
 * given (and how many leads each call carries), or fails like a producer without acks.
 */
describe('ingest: POST /v1/leads/import', () => {
  let app: NestFastifyApplication;
  let kafkaDown = false;
  const published: RawLead[] = [];
  const calls: number[] = [];
  const registry = createRegistry('ingest-spec');
  const publisher = {
    publish: () => Promise.reject(new Error('not used')),
    publishAll: async (leads: readonly RawLead[]) => {
      if (kafkaDown) throw new AckTimeoutError(2000);
      calls.push(leads.length);
      published.push(...leads);
    },
  };

  before(async () => {
    const config = loadIngestConfig({
      ...DEMO_MODE_ENV,
      INGEST_API_KEYS: 'key-partner:partner-acme,key-web:web-form',
      INGEST_BODY_LIMIT_BYTES: '4096',
      INGEST_IMPORT_DIR: mkdtempSync(join(tmpdir(), 'ingest-import-spec-')),
    });
    const logger = createLogger('ingest-spec', 'silent');
    @Module({
      controllers: [LeadsController, LeadsImportController],
      providers: [
        { provide: INGEST_CONFIG, useValue: config },
        { provide: LeadPublisher, useValue: publisher },
        { provide: LOGGER, useValue: logger },
        { provide: STAGE_METRICS, useValue: createStageMetrics(registry) },
        { provide: INGEST_METRICS, useValue: createIngestMetrics(registry) },
        ApiKeyGuard,
        ImportReportStore,
        CsvLeadImporter,
      ],
    })
    class SpecModule {}
    app = await NestFactory.create<NestFastifyApplication>(
      SpecModule,
      new FastifyAdapter({ bodyLimit: config.bodyLimit }),
      { logger: false, abortOnError: false },
    );
    app.useGlobalFilters(new HttpExceptionFilter(logger));
    const fastify = app.getHttpAdapter().getInstance();
    fastify.removeAllContentTypeParsers();
    registerCsvBodyParser(fastify);
    await app.init();
    await fastify.ready();
  });
  after(() => app.close());

  const request = async (method: 'GET' | 'POST', url: string, body?: string | Readable) => {
    const res = await app
      .getHttpAdapter()
      .getInstance()
      .inject({
        method,
        url,
        ...(body !== undefined ? { payload: body } : {}),
        headers: { 'content-type': 'text/csv; charset=utf-8', authorization: 'Bearer key-partner' },
      });
    return { status: res.statusCode, body: res.body, type: res.headers['content-type'] };
  };

  const file = [
    'E-Mail,Vorname,Firma,Tel,Campaign',
    'ada@example.com,Ada,Engines,,spring',
    ',Bob,Nowhere,,spring',
    'cy@example.com,Cy,"Quote ""Co""",+49 30 1234,',
    'dee@example.com,Dee',
    'ada@example.com,Ada,Engines,,spring',
  ].join('\r\n');

  it('imports the good rows, reports every row by number, and serves the report as CSV', async () => {
    published.length = 0;
    const res = await request('POST', '/v1/leads/import', file);
    assert.equal(res.status, 200);
    const summary = JSON.parse(res.body) as Record<string, unknown>;
    assert.deepEqual(
      {
        source: summary['source'],
        status: summary['status'],
        rows: summary['rows'],
        accepted: summary['accepted'],
        rejected: summary['rejected'],
        key_column: summary['key_column'],
      },
      {
        source: 'partner-acme',
        status: 'complete',
        rows: 5,
        accepted: 3,
        rejected: 2,
        key_column: null,
      },
    );
    assert.deepEqual(
      published.map((l) => [l.email, l.first_name, l.company, l.phone, l.source, l.attributes]),
      [
        ['ada@example.com', 'Ada', 'Engines', null, 'partner-acme', { campaign: 'spring' }],
        ['cy@example.com', 'Cy', 'Quote "Co"', '+49 30 1234', 'partner-acme', {}],
        ['ada@example.com', 'Ada', 'Engines', null, 'partner-acme', { campaign: 'spring' }],
      ],
    );
    const leads = await registry.getSingleMetricAsString('lead_router_ingest_leads_total');
    assert.match(
      leads,
      /lead_router_ingest_leads_total\{source="partner-acme",topic="raw",service="ingest-spec"\} 3$/,
    );
    // The same row twice is the same lead: its content is its key.
    assert.equal(published[0]?.lead_id, published[2]?.lead_id);
    const [ada, cy] = published;
    const report = await request(
      'GET',
      `/v1/leads/import/${String(summary['import_id'])}/report.csv`,
    );
    assert.equal(report.status, 200);
    assert.equal(report.type, 'text/csv; charset=utf-8');
    assert.equal(
      report.body,
      [
        'row,line,status,lead_id,reason',
        `1,2,accepted,${ada!.lead_id},`,
        '2,3,rejected,,"row: expected an email or a phone, and neither was given"',
        `3,4,accepted,${cy!.lead_id},`,
        '4,5,rejected,,"row: expected 5 fields as in the header, got 2"',
        `5,6,accepted,${ada!.lead_id},`,
        '',
      ].join('\n'),
    );
  });

  it('gives a re-sent file the same lead ids, and a key column its own', async () => {
    published.length = 0;
    await request('POST', '/v1/leads/import', file);
    await request('POST', '/v1/leads/import', file);
    assert.equal(published.length, 6);
    assert.deepEqual(
      published.slice(0, 3).map((l) => l.lead_id),
      published.slice(3).map((l) => l.lead_id),
    );
    published.length = 0;
    const keyed = await request(
      'POST',
      '/v1/leads/import?key_column=Ref&map=Ref%3Dpartner_ref',
      'email,Ref\na@b.co,R-1\n',
    );
    assert.equal(keyed.status, 200);
    assert.equal(published[0]?.lead_id, leadIdFor('partner-acme', 'R-1'));
    assert.equal(published[0]?.source_lead_id, 'R-1');
    assert.deepEqual(published[0]?.attributes, { partner_ref: 'R-1' });
  });

  it('produces in batches as the stream arrives', async () => {
    calls.length = 0;
    const rows = 2 * IMPORT_BATCH_SIZE + 7;
    const body = Readable.from(
      (function* () {
        yield 'email\n';
        for (let i = 0; i < rows; i++) yield `lead${i}@example.com\n`;
      })(),
    );
    const res = await request('POST', '/v1/leads/import', body);
    assert.equal(JSON.parse(res.body).accepted, rows);
    assert.deepEqual(calls, [IMPORT_BATCH_SIZE, IMPORT_BATCH_SIZE, 7]);
  });

  it('answers a dry run with the mapping and the first rows, producing nothing', async () => {
    published.length = 0;
    const res = await request('POST', '/v1/leads/import?dry_run=true&map=Campaign%3D-', file);
    assert.equal(res.status, 200);
    const answer = JSON.parse(res.body) as {
      mapping: unknown;
      rows: { row: number; status: string; reason: string | null }[];
    };
    assert.deepEqual(answer.mapping, [
      { column: 'E-Mail', field: 'email', by: 'synonym' },
      { column: 'Vorname', field: 'first_name', by: 'synonym' },
      { column: 'Firma', field: 'company', by: 'synonym' },
      { column: 'Tel', field: 'phone', by: 'synonym' },
      { column: 'Campaign', field: null, by: 'given' },
    ]);
    assert.deepEqual(
      answer.rows.map((r) => [r.row, r.status]),
      [
        [1, 'accepted'],
        [2, 'rejected'],
        [3, 'accepted'],
        [4, 'rejected'],
        [5, 'accepted'],
      ],
    );
    assert.equal(published.length, 0);
  });

  it('refuses an unmappable header, another media type, a CSV sent to /v1/leads, and a report of another source', async () => {
    const bad = await request('POST', '/v1/leads/import?map=Phone%3Dphone', 'email,email\n');
    assert.equal(bad.status, 400);
    assert.deepEqual(JSON.parse(bad.body), {
      error: {
        code: 'invalid_mapping',
        message: 'the columns cannot be mapped; see fields',
        fields: [
          {
            field: 'mapping',
            code: 'invalid_mapping',
            message: 'column "email" appears twice in the header',
          },
          {
            field: 'mapping',
            code: 'invalid_mapping',
            message: 'mapped column "Phone" is not in the header',
          },
        ],
      },
    });
    const fastify = app.getHttpAdapter().getInstance();
    const json = await fastify.inject({
      method: 'POST',
      url: '/v1/leads/import',
      payload: '{}',
      headers: { 'content-type': 'text/plain', authorization: 'Bearer key-partner' },
    });
    assert.equal(json.statusCode, 415);
    assert.deepEqual(await request('POST', '/v1/leads', 'email\na@b.co\n'), {
      status: 415,
      body: '{"error":{"code":"unsupported_media_type","message":"CSV files go to POST /v1/leads/import"}}',
      type: 'application/json; charset=utf-8',
    });
    const ok = JSON.parse((await request('POST', '/v1/leads/import', 'email\na@b.co\n')).body);
    const other = await fastify.inject({
      method: 'GET',
      url: `/v1/leads/import/${ok.import_id}/report.csv`,
      headers: { authorization: 'Bearer key-web' },
    });
    assert.equal(other.statusCode, 404);
  });

  it('deletes reports older than the retention when an import starts, and keeps the others', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'ingest-import-retention-'));
    const sut = new ImportReportStore(
      loadIngestConfig({
        ...DEMO_MODE_ENV,
        INGEST_IMPORT_DIR: dir,
        INGEST_IMPORT_RETENTION_HOURS: '24',
      }),
    );
    const old = '00000000-0000-4000-8000-000000000001';
    const recent = '00000000-0000-4000-8000-000000000002';
    for (const id of [old, recent]) {
      writeFileSync(join(dir, `${id}.csv`), 'row,line,status,lead_id,reason\n');
      writeFileSync(join(dir, `${id}.json`), '{}');
    }
    writeFileSync(join(dir, 'notes.txt'), 'not a report');
    const day = 24 * 3_600_000;
    const now = Date.now();
    for (const name of [`${old}.csv`, `${old}.json`, 'notes.txt']) {
      utimesSync(join(dir, name), new Date(now - day - 60_000), new Date(now - day - 60_000));
    }
    assert.equal(await sut.prune(now), 2);
    assert.deepEqual(readdirSync(dir).sort(), [`${recent}.csv`, `${recent}.json`, 'notes.txt']);
  });

  it('answers 503 with Retry-After when Kafka does not acknowledge, the report kept so far', async () => {
    kafkaDown = true;
    try {
      const res = await request('POST', '/v1/leads/import', file);
      assert.equal(res.status, 503);
      assert.match(
        JSON.parse(res.body).error.message,
        /^the import stopped after 0 rows \(report: \/v1\/leads\/import\/[0-9a-f-]{36}\/report\.csv\); send the whole file again: rows already stored keep their lead ids$/,
      );
    } finally {
      kafkaDown = false;
    }
  });
});

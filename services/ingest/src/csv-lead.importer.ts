import { randomUUID } from 'node:crypto';
import type { Readable } from 'node:stream';
import { finished } from 'node:stream/promises';
import { Inject, Injectable } from '@nestjs/common';
import {
  captureCsvRow,
  readCsvRows,
  resolveCsvMapping,
  type CaptureContext,
  type CsvMapping,
  type CsvRow,
  type FieldIssue,
  type MappingRequest,
} from '@lead-router/capture';
import type { Logger, StageMetrics } from '@lead-router/observability';
import type { RawLead } from '@lead-router/schemas';
import { LOGGER, STAGE_METRICS } from '@lead-router/service-kit';
import { ApiError } from './api-error';
import {
  ImportReportStore,
  type ImportSummary,
  type ReportRow,
  reportLine,
} from './import-report.store';
import { LeadPublisher } from './lead.publisher';
import { INGEST_METRICS, type IngestMetrics } from './sources/ingest-metrics.provider';

const STAGE = 'ingest';
/** Rows produced per Kafka round trip; the next rows are read only once these are acknowledged. */
export const IMPORT_BATCH_SIZE = 500;
const RETRY_AFTER_SECONDS = '5';

export interface ImportRequest {
  source: string;
  mapping: MappingRequest;
  clientIp?: string;
}

/** What a dry run answers: the mapping it would use and the first rows' fate, nothing produced. */
export interface DryRunAnswer {
  source: string;
  key_column: string | null;
  mapping: ImportSummary['mapping'];
  rows: ReturnType<typeof rowJson>[];
}

function rowJson(r: ReportRow) {
  return { row: r.row, line: r.line, status: r.status, lead_id: r.leadId, reason: r.reason };
}

/** Reads what is left of the upload and drops it; the parser, stopped, no longer holds it back. */
function discardRest(input: Readable): Readable {
  input.unpipe();
  return input.resume();
}

function reasonOf(issues: readonly FieldIssue[]): string {
  return issues.map((i) => i.message).join('; ');
}

/**
 * Imports a partner CSV from a stream: the header resolves the mapping, then every row is
 * captured on its own (a bad row is reported and skipped) and the good ones are produced to
 * leads.raw in batches. The next batch is read only once Kafka acknowledged the last, so a slow
 * broker slows the upload (TCP backpressure) instead of filling memory; the report is written to
 * a file as each batch is decided, in row order.
 */
@Injectable()
export class CsvLeadImporter {
  constructor(
    @Inject(LeadPublisher) private readonly publisher: LeadPublisher,
    @Inject(ImportReportStore) private readonly store: ImportReportStore,
    @Inject(STAGE_METRICS) private readonly metrics: StageMetrics,
    @Inject(INGEST_METRICS) private readonly perSource: IngestMetrics,
    @Inject(LOGGER) private readonly logger: Logger,
  ) {}

  async import(input: Readable, request: ImportRequest): Promise<ImportSummary> {
    const rows = readCsvRows(input);
    const mapping = await this.mappingOf(rows, input, request.mapping);
    const id = randomUUID();
    const report = await this.store.create({
      import_id: id,
      source: request.source,
      status: 'running',
      rows: 0,
      accepted: 0,
      rejected: 0,
      key_column: mapping.keyColumn,
      mapping: mapping.columns.map((c) => ({ ...c })),
      started_at: new Date().toISOString(),
      finished_at: null,
      report_url: `/v1/leads/import/${id}/report.csv`,
    });
    const summary = report.summary;
    let batch: { row: number; line: number; lead: RawLead }[] = [];
    let rejected: ReportRow[] = [];
    const flush = async () => {
      if (batch.length > 0) {
        await this.publisher.publishAll(batch.map((b) => b.lead));
        this.perSource.leads.inc({ source: request.source, topic: 'raw' }, batch.length);
        this.metrics.records.inc({ stage: STAGE, topic: 'csv', outcome: 'accepted' }, batch.length);
      }
      if (rejected.length > 0) {
        this.metrics.records.inc(
          { stage: STAGE, topic: 'csv', outcome: 'rejected' },
          rejected.length,
        );
      }
      const decided: ReportRow[] = [
        ...batch.map((b) => ({
          row: b.row,
          line: b.line,
          status: 'accepted' as const,
          leadId: b.lead.lead_id,
          reason: null,
        })),
        ...rejected,
      ].sort((a, b) => a.row - b.row);
      summary.accepted += batch.length;
      summary.rejected += rejected.length;
      summary.rows += decided.length;
      batch = [];
      rejected = [];
      await report.write(decided.map(reportLine).join(''));
    };
    try {
      for await (const item of rows) {
        const decided = this.capture(item, mapping, request);
        if ('lead' in decided) batch.push(decided);
        else rejected.push(decided);
        if (batch.length + rejected.length >= IMPORT_BATCH_SIZE) await flush();
      }
      await flush();
    } catch (err) {
      await report.close('failed', Date.now());
      discardRest(input);
      this.metrics.errors.inc({ stage: STAGE, code: 'kafka_unavailable' });
      this.logger.error({ err, importId: id, rows: summary.rows }, 'CSV import stopped');
      throw new ApiError(
        503,
        'kafka_unavailable',
        `the import stopped after ${summary.rows} rows (report: ${summary.report_url}); send the whole file again: rows already stored keep their lead ids`,
        undefined,
        { 'retry-after': RETRY_AFTER_SECONDS },
        err,
      );
    }
    const done = await report.close('complete', Date.now());
    this.logger.info(
      { importId: id, source: request.source, rows: done.rows, rejected: done.rejected },
      'CSV import complete',
    );
    return done;
  }

  /** The mapping and the first `sample` rows' fate; reads no further and produces nothing. */
  async dryRun(input: Readable, request: ImportRequest, sample = 10): Promise<DryRunAnswer> {
    const rows = readCsvRows(input);
    const mapping = await this.mappingOf(rows, input, request.mapping);
    const decided: ReportRow[] = [];
    for await (const item of rows) {
      const result = this.capture(item, mapping, request);
      decided.push(
        'lead' in result
          ? {
              row: result.row,
              line: result.line,
              status: 'accepted',
              leadId: result.lead.lead_id,
              reason: null,
            }
          : result,
      );
      if (decided.length >= sample) break;
    }
    // The rest of the upload is read and dropped before answering: an answer sent while the
    // client is still sending leaves a keep-alive connection that the next request finds reset.
    // A dry run is meant for the head of a file (leadctl sends its first 256 KB).
    await finished(discardRest(input));
    return {
      source: request.source,
      key_column: mapping.keyColumn,
      mapping: mapping.columns.map((c) => ({ ...c })),
      rows: decided.map(rowJson),
    };
  }

  private async mappingOf(
    rows: AsyncGenerator<CsvRow>,
    input: Readable,
    request: MappingRequest,
  ): Promise<CsvMapping> {
    const first = await rows.next();
    const header = first.done ? undefined : first.value;
    const refuse = (code: string, message: string, fields?: FieldIssue[]) => {
      void rows.return(undefined);
      discardRest(input);
      return new ApiError(400, code, message, fields);
    };
    if (header === undefined) throw refuse('empty_file', 'the file has no header row');
    if (header.cells === undefined)
      throw refuse('unreadable_header', `the header row is ${header.error}`);
    const mapping = resolveCsvMapping(header.cells, request);
    if (!mapping.ok) {
      throw refuse(
        'invalid_mapping',
        'the columns cannot be mapped; see fields',
        mapping.error.map((message) => ({ field: 'mapping', code: 'invalid_mapping', message })),
      );
    }
    return mapping.value;
  }

  private capture(
    item: CsvRow,
    mapping: CsvMapping,
    request: ImportRequest,
  ): { row: number; line: number; lead: RawLead } | ReportRow {
    const rejected = (reason: string): ReportRow => ({
      row: item.row,
      line: item.line,
      status: 'rejected',
      leadId: null,
      reason,
    });
    if (item.cells === undefined) return rejected(item.error);
    const ctx: Omit<CaptureContext, 'idempotencyKey'> = {
      source: request.source,
      now: Date.now(),
      channel: 'http',
      ...(request.clientIp !== undefined ? { clientIp: request.clientIp } : {}),
    };
    const captured = captureCsvRow(item.cells, mapping, ctx);
    return captured.ok
      ? { row: item.row, line: item.line, lead: captured.value }
      : rejected(reasonOf(captured.error));
  }
}

import { once } from 'node:events';
import { createReadStream, createWriteStream, type ReadStream, type WriteStream } from 'node:fs';
import { mkdir, readdir, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Inject, Injectable } from '@nestjs/common';
import { INGEST_CONFIG, type IngestConfig } from './ingest.config';

/** One row of an import's report, as the downloadable CSV has it. */
export interface ReportRow {
  row: number;
  line: number;
  status: 'accepted' | 'rejected';
  leadId: string | null;
  reason: string | null;
}

/** What an import answers, and what `GET /v1/leads/import/{id}` gives back later. */
export interface ImportSummary {
  import_id: string;
  source: string;
  status: 'running' | 'complete' | 'failed';
  rows: number;
  accepted: number;
  rejected: number;
  /** The column whose value is each row's idempotency key; null: a hash of the row's content. */
  key_column: string | null;
  mapping: { column: string; field: string | null; by: string }[];
  started_at: string;
  finished_at: string | null;
  report_url: string;
}

export const REPORT_HEADER = 'row,line,status,lead_id,reason\n';

function csvCell(value: string): string {
  return /[",\r\n]/.test(value) ? `"${value.replace(/"/g, '""')}"` : value;
}

/** The report's CSV line for a row; reasons are quoted as RFC 4180 asks. */
export function reportLine(r: ReportRow): string {
  return `${r.row},${r.line},${r.status},${r.leadId ?? ''},${r.reason === null ? '' : csvCell(r.reason)}\n`;
}

/** The report of one running import, written as the rows are decided. */
export class ReportWriter {
  private constructor(
    private readonly out: WriteStream,
    private readonly metaPath: string,
    readonly summary: ImportSummary,
  ) {}

  static async open(dir: string, summary: ImportSummary): Promise<ReportWriter> {
    const out = createWriteStream(join(dir, `${summary.import_id}.csv`));
    const writer = new ReportWriter(out, join(dir, `${summary.import_id}.json`), summary);
    await writer.saveSummary();
    await writer.write(REPORT_HEADER);
    return writer;
  }

  /** Resolves once the file can take more: the report never piles up in memory. */
  async write(text: string): Promise<void> {
    if (!this.out.write(text)) await once(this.out, 'drain');
  }

  async close(status: 'complete' | 'failed', now: number): Promise<ImportSummary> {
    this.out.end();
    await once(this.out, 'close');
    this.summary.status = status;
    this.summary.finished_at = new Date(now).toISOString();
    await this.saveSummary();
    return this.summary;
  }

  private saveSummary(): Promise<void> {
    return writeFile(this.metaPath, JSON.stringify(this.summary));
  }
}

const IMPORT_ID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const IMPORT_FILE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\.(csv|json)$/;
/** Old reports are looked for at most this often, by the import that starts after. */
const PRUNE_EVERY_MS = 3_600_000;

/**
 * Import reports as files in INGEST_IMPORT_DIR: `<id>.csv`, the report, written row by row as the
 * import runs and streamed back as is, and `<id>.json`, the summary. A report of 200,000 rows is
 * ~15 MB on disk and never in memory. The files are on the instance that ran the import: behind
 * several instances, INGEST_IMPORT_DIR is a shared volume (or the report is fetched sticky).
 * Files older than INGEST_IMPORT_RETENTION_HOURS are deleted when an import starts (at most hourly).
 */
@Injectable()
export class ImportReportStore {
  private readonly dir: string;
  private readonly retentionMs: number;
  private ready: Promise<unknown> | null = null;
  private prunedAt = -Infinity;

  constructor(@Inject(INGEST_CONFIG) config: IngestConfig) {
    this.dir = config.importDir;
    this.retentionMs = config.importRetentionHours * 3_600_000;
  }

  async create(summary: ImportSummary, now = Date.now()): Promise<ReportWriter> {
    this.ready ??= mkdir(this.dir, { recursive: true });
    await this.ready;
    if (now - this.prunedAt >= PRUNE_EVERY_MS) {
      this.prunedAt = now;
      await this.prune(now);
    }
    return ReportWriter.open(this.dir, summary);
  }

  /** Deletes the reports and summaries last written before the retention period. */
  async prune(now: number): Promise<number> {
    let deleted = 0;
    for (const name of await readdir(this.dir)) {
      if (!IMPORT_FILE.test(name)) continue;
      const path = join(this.dir, name);
      const written = (await stat(path).catch(() => null))?.mtimeMs;
      if (written !== undefined && now - written > this.retentionMs) {
        await rm(path, { force: true });
        deleted += 1;
      }
    }
    return deleted;
  }

  /** The summary of an import by this source; null when there is none (or it is another's). */
  async summary(id: string, source: string): Promise<ImportSummary | null> {
    if (!IMPORT_ID.test(id)) return null;
    try {
      const summary = JSON.parse(
        await readFile(join(this.dir, `${id}.json`), 'utf8'),
      ) as ImportSummary;
      return summary.source === source ? summary : null;
    } catch {
      return null;
    }
  }

  report(id: string): ReadStream {
    return createReadStream(join(this.dir, `${id}.csv`));
  }
}

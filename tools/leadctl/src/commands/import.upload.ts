import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { Transform, type TransformCallback } from 'node:stream';
import { UsageError } from '../cli.errors';

/** What `--map`, `--mapping` and `--key-column` ask of the import. */
export interface MappingOptions {
  map: string[];
  mapping?: string;
  keyColumn?: string;
}

/** The query of `POST /v1/leads/import`: one `map=<column>=<field>` per mapped column. */
export function importQuery(opts: MappingOptions, dryRun: boolean): URLSearchParams {
  const query = new URLSearchParams();
  if (opts.mapping !== undefined) {
    let file: unknown;
    try {
      file = JSON.parse(readFileSync(opts.mapping, 'utf8'));
    } catch (err) {
      throw new UsageError(`--mapping ${opts.mapping}: not a readable JSON file`, { cause: err });
    }
    if (typeof file !== 'object' || file === null || Array.isArray(file)) {
      throw new UsageError(`--mapping ${opts.mapping}: expected {"<column>": "<field>", ...}`);
    }
    for (const [column, field] of Object.entries(file)) {
      if (typeof field !== 'string' && field !== null) {
        throw new UsageError(
          `--mapping ${opts.mapping}: "${column}" must map to a field name or null`,
        );
      }
      query.append('map', `${column}=${field ?? ''}`);
    }
  }
  for (const pair of opts.map) {
    if (pair.lastIndexOf('=') <= 0)
      throw new UsageError(`--map ${pair}: expected <column>=<field>`);
    query.append('map', pair);
  }
  if (opts.keyColumn !== undefined) query.set('key_column', opts.keyColumn);
  if (dryRun) query.set('dry_run', 'true');
  return query;
}

/** The file's first complete lines, up to `maxBytes`: what the dry run is shown. */
export async function headOf(file: string, maxBytes = 256 * 1024): Promise<Buffer> {
  const handle = await open(file, 'r');
  try {
    const buffer = Buffer.alloc(maxBytes);
    const { bytesRead } = await handle.read(buffer, 0, maxBytes, 0);
    const head = buffer.subarray(0, bytesRead);
    if (bytesRead < maxBytes) return head;
    const end = head.lastIndexOf(0x0a);
    return end < 0 ? head : head.subarray(0, end + 1);
  } finally {
    await handle.close();
  }
}

/** The columns and first rows the dry run answered. */
export interface DryRunAnswer {
  source: string;
  key_column: string | null;
  mapping: { column: string; field: string | null; by: string }[];
  rows: {
    row: number;
    line: number;
    status: string;
    lead_id: string | null;
    reason: string | null;
  }[];
}

/** The mapping as the user is asked to confirm it. */
export function formatMapping(answer: DryRunAnswer): string {
  const width = Math.max(6, ...answer.mapping.map((m) => m.column.length));
  const lines = [`columns of the file → fields of source "${answer.source}"'s leads:`];
  for (const m of answer.mapping) {
    const how =
      m.by === 'given' ? 'as asked' : m.by === 'synonym' ? 'guessed' : 'kept as attribute';
    lines.push(
      `  ${m.column.padEnd(width)}  → ${m.field ?? '(left out)'}${m.field === null ? '' : `  (${how})`}`,
    );
  }
  lines.push(
    answer.key_column === null
      ? "each row's key: a hash of its content (a re-import of the same rows adds no lead)"
      : `each row's key: column "${answer.key_column}" (a re-import of the same keys adds no lead)`,
  );
  if (answer.rows.length > 0) {
    lines.push(`the first ${answer.rows.length} row(s):`);
    for (const r of answer.rows) {
      lines.push(
        `  row ${r.row} (line ${r.line}): ${r.status}${r.reason === null ? '' : `: ${r.reason}`}`,
      );
    }
  }
  return lines.join('\n');
}

/**
 * Counts the bytes and line ends that pass, for the progress bar. Rows are counted as line ends
 * past the header: a quoted cell holding a line break counts one row too many, so the bar's rows
 * are an estimate; the report's counts are exact.
 */
export class UploadMeter extends Transform {
  bytes = 0;
  lines = 0;

  override _transform(chunk: Buffer, _encoding: BufferEncoding, done: TransformCallback): void {
    this.bytes += chunk.length;
    let at = chunk.indexOf(0x0a);
    while (at !== -1) {
      this.lines += 1;
      at = chunk.indexOf(0x0a, at + 1);
    }
    done(null, chunk);
  }

  get rows(): number {
    return Math.max(0, this.lines - 1);
  }
}

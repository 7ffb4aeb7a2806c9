import type { Readable } from 'node:stream';
import { type CsvError, parse } from 'csv-parse';

/**
 * One record of a CSV file, in file order. `row` counts data rows from 1 (the header is row 0);
 * `line` is the file line the record ends on. A record the parser cannot read (an unclosed
 * quote, a quote inside an unquoted field) comes as `error` and does not stop the rest.
 */
export type CsvRow =
  | { row: number; line: number; cells: string[]; error?: undefined }
  | { row: number; line: number; cells?: undefined; error: string };

/**
 * Streams a CSV (comma-separated, RFC 4180 quoting, an optional BOM, empty lines skipped) one
 * record at a time: the parser reads from `input` only as fast as the caller iterates, so a file
 * of any size is held a chunk at a time. The first item is the header (row 0).
 */
export async function* readCsvRows(input: Readable): AsyncGenerator<CsvRow> {
  const parser = parse({
    bom: true,
    skip_empty_lines: true,
    relax_column_count: true,
    skip_records_with_error: true,
    info: true,
  });
  // csv-parse reports a skipped record by event, as soon as it meets it, while the records before
  // it may still wait in the parser's buffer: held here and given back in line order.
  const skipped: { line: number; error: string }[] = [];
  parser.on('skip', (e: CsvError) => {
    skipped.push({ line: typeof e.lines === 'number' ? e.lines : 0, error: e.message });
  });
  input.on('error', (e) => parser.destroy(e));
  input.pipe(parser);
  let row = 0;
  for await (const { record, info } of parser as AsyncIterable<{
    record: string[];
    info: { lines: number };
  }>) {
    while (skipped.length > 0 && skipped[0]!.line <= info.lines) {
      const s = skipped.shift()!;
      yield { row: row++, line: s.line, error: `unreadable CSV: ${s.error}` };
    }
    yield { row: row++, line: info.lines, cells: record };
  }
  for (const s of skipped) yield { row: row++, line: s.line, error: `unreadable CSV: ${s.error}` };
}

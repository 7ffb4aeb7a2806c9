import type { Readable } from 'node:stream';
import { parseAccountRow, unknownAccountColumns } from '@lead-router/accounts';
import type { Account } from '@lead-router/schemas';
import { CsvError, parse } from 'csv-parse';
import { CliFailure } from '../cli.errors';

/** One line of the per-row report: the file's line, the account id when read, and the result. */
export interface AccountRowReport {
  line: number;
  accountId: string | null;
  /** null when imported */
  refused: string | null;
}

export interface AccountsImportEffects {
  /** Produces the accounts; resolves once Kafka acknowledged every one. */
  send(accounts: readonly Account[]): Promise<void>;
  /** Called for every row, in file order, once its fate is known (after the ack when imported). */
  report(row: AccountRowReport): void;
  /** Bytes of the file read so far, for the progress bar. */
  progress?(bytes: number): void;
}

export interface AccountsImportSummary {
  imported: number;
  refused: number;
}

/** The report line a user reads: `line 3: ACC-2 ok` or `line 4: ACC-3 refused: <reason>`. */
export function formatRowReport(row: AccountRowReport): string {
  const id = row.accountId === null || row.accountId === '' ? '-' : row.accountId;
  return `line ${row.line}: ${id} ${row.refused === null ? 'ok' : `refused: ${row.refused}`}`;
}

/**
 * Streams an accounts CSV (header row first, see ACCOUNT_COLUMNS) into Kafka in batches of
 * `batchSize`: each row is validated on its own, so a bad row is reported with its reason and
 * never stops the good ones; a row the CSV parser cannot read (a stray quote, a wrong number of
 * fields) is reported the same way. An unknown column refuses the whole file before any row.
 */
export async function importAccounts(
  input: Readable,
  effects: AccountsImportEffects,
  now: number,
  batchSize = 500,
): Promise<AccountsImportSummary> {
  const summary: AccountsImportSummary = { imported: 0, refused: 0 };
  let batch: { account: Account; line: number }[] = [];
  // Refused rows wait behind the batch in flight, so the report keeps the file's order.
  let held: AccountRowReport[] = [];
  const flush = async () => {
    if (batch.length > 0) await effects.send(batch.map((b) => b.account));
    const done = [
      ...batch.map((b) => ({ line: b.line, accountId: b.account.account_id, refused: null })),
      ...held,
    ].sort((a, b) => a.line - b.line);
    for (const row of done) effects.report(row);
    summary.imported += batch.length;
    batch = [];
    held = [];
  };
  const refuse = (line: number, accountId: string | null, reason: string) => {
    held.push({ line, accountId, refused: reason });
    summary.refused += 1;
  };

  let bytes = 0;
  input.on('data', (chunk: Buffer | string) => {
    bytes += chunk.length;
    effects.progress?.(bytes);
  });
  const parser = input.pipe(
    parse({
      bom: true,
      columns: (header: string[]) => {
        const columns = header.map((c) => c.trim());
        const unknown = unknownAccountColumns(columns);
        if (unknown.length > 0) {
          throw new CliFailure(
            `unknown column${unknown.length > 1 ? 's' : ''} ${unknown.join(', ')}: an accounts file has account_id, name, domains, owner, owner.<destination> and updated_at`,
          );
        }
        return columns;
      },
      skip_empty_lines: true,
      skip_records_with_error: true,
      info: true,
    }),
  );
  parser.on('skip', (err: CsvError) => {
    refuse(typeof err.lines === 'number' ? err.lines : 0, null, `unreadable CSV: ${err.message}`);
  });
  try {
    for await (const { record, info } of parser as AsyncIterable<{
      record: Record<string, string>;
      info: { lines: number };
    }>) {
      const result = parseAccountRow(record, now);
      if (result.ok) batch.push({ account: result.account, line: info.lines });
      else refuse(info.lines, record['account_id']?.trim() ?? null, result.reason);
      if (batch.length >= batchSize) await flush();
    }
  } catch (err) {
    if (err instanceof CliFailure) throw err;
    if (err instanceof CsvError && err.cause instanceof CliFailure) throw err.cause;
    throw err;
  }
  await flush();
  return summary;
}

import { errorMessage } from '@lead-router/errors';
import type { LeadRow } from './lead-row.mapper';
import { LeadsTableError } from './leads-table.error';
import { qualifiedTable, targetKey, type LeadsTableTarget } from './leads-table.target';
import { latestPerKey, leadsUpsert } from './leads-upsert.builder';

/** What the store needs of a `pg` Pool or Client. */
export interface SqlClient {
  query(text: string, values: unknown[]): Promise<unknown>;
}

/** A row the table would not take, with the database's own words. */
export interface RefusedRow {
  row: LeadRow;
  sqlState: string;
  error: string;
}

/**
 * Refusals about the data (SQLSTATE class 22, data exception: a `\u0000` in JSON, a value too
 * long; class 23, integrity constraint violation: a CHECK the table's owner added): the row is at
 * fault, the same row fails every time. Anything else (the connection, the server) may pass later.
 */
export function isRowRefusal(sqlState: string | undefined): boolean {
  return sqlState !== undefined && (sqlState.startsWith('22') || sqlState.startsWith('23'));
}

const sqlStateOf = (err: unknown): string | undefined =>
  typeof err === 'object' && err !== null && typeof (err as { code?: unknown }).code === 'string'
    ? (err as { code: string }).code
    : undefined;

/**
 * Writes a chunk's rows for one table in one statement. When the table refuses the statement for
 * a row's data, each row is written alone so the good ones land and the refused ones come back
 * with the database's message. Any other failure is a retriable LeadsTableError: the chunk's
 * offsets stay uncommitted and it is written again.
 */
export async function upsertLeadRows(
  db: SqlClient,
  target: LeadsTableTarget,
  rows: readonly LeadRow[],
): Promise<RefusedRow[]> {
  if (rows.length === 0) return [];
  try {
    await query(db, target, rows);
    return [];
  } catch (err) {
    if (!isRowRefusal(sqlStateOf(err))) throw unavailable(target, err);
  }
  const refused: RefusedRow[] = [];
  for (const row of latestPerKey(rows)) {
    try {
      await query(db, target, [row]);
    } catch (err) {
      const sqlState = sqlStateOf(err);
      if (!isRowRefusal(sqlState)) throw unavailable(target, err);
      refused.push({ row, sqlState: sqlState!, error: errorMessage(err) });
    }
  }
  return refused;
}

async function query(db: SqlClient, target: LeadsTableTarget, rows: readonly LeadRow[]) {
  const { text, values } = leadsUpsert(target, rows);
  await db.query(text, values);
}

function unavailable(target: LeadsTableTarget, err: unknown): unknown {
  if (err instanceof LeadsTableError) return err;
  return new LeadsTableError(
    `writing to ${targetKey(target)} failed: ${errorMessage(err)}`,
    'leads_table_unavailable',
    { context: { table: targetKey(target), sqlState: sqlStateOf(err) }, cause: err },
  );
}

/** Whom a right-to-erasure request names: a lead, or every lead of an email (by its SHA-256). */
export interface ErasedSubject {
  readonly leadId: string | null;
  readonly emailSha256: string | null;
}

/**
 * Deletes a person's rows from one table, whichever destination wrote them: the lead's, or every
 * lead's whose email has that digest. Returns how many rows went. A failure is a retriable
 * LeadsTableError, so the request is handled again.
 */
export async function eraseLeadRows(
  db: SqlClient,
  target: LeadsTableTarget,
  subject: ErasedSubject,
): Promise<number> {
  if (subject.leadId === null && subject.emailSha256 === null) return 0;
  try {
    const result = (await db.query(
      `delete from ${qualifiedTable(target)} where lead_id = $1 or email_sha256 = $2`,
      [subject.leadId, subject.emailSha256],
    )) as { rowCount?: number | null };
    return result.rowCount ?? 0;
  } catch (err) {
    throw unavailable(target, err);
  }
}

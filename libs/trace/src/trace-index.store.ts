import { SQL_IDENTIFIER } from '@lead-router/config';
import type { Pool, PoolClient, Client } from 'pg';
import {
  TRACE_STAGE_ORDER,
  type TraceEvent,
  type TraceStage,
  type TraceSummary,
} from './lead-trace.summary';
import { TraceIndexError } from './trace-index.error';

export const DEFAULT_TRACE_TABLE = 'lead_events';

type Queryable = Pick<Pool | PoolClient | Client, 'query'>;

/** A trace event with the Kafka record it came from (the row's primary key). */
export interface TraceRow extends TraceEvent {
  topic: string;
  partition: number;
  offset: string;
  /**
   * The SHA-256 of the lead's email (`emailDigest` of @lead-router/privacy), on the events that
   * carry the email (captured, normalized), so an erasure request by email finds the lead's
   * rows. Never the email itself.
   */
  emailSha256?: string | null;
}

/** The table name, checked: it is spliced into SQL, so only plain lower-case identifiers pass. */
export function traceTable(name: string): string {
  if (!SQL_IDENTIFIER.test(name)) {
    throw new TraceIndexError(
      `trace table name "${name}" must be a lower-case SQL identifier (a-z, 0-9, _; at most 63); set INDEX_TABLE or --table to one`,
      'invalid_trace_table',
      { table: name },
    );
  }
  return name;
}

/**
 * Creates the table and its (lead_id, at) index when they do not exist, and brings a table an
 * earlier version created up to date: `email_sha256` (for erasure by email) is added to it.
 */
export async function ensureTraceTable(db: Queryable, table: string): Promise<void> {
  const t = traceTable(table);
  await db.query(`create table if not exists ${t} (
    topic text not null,
    partition int not null,
    "offset" bigint not null,
    lead_id text not null,
    stage text not null,
    at timestamptz not null,
    summary jsonb not null,
    primary key (topic, partition, "offset")
  )`);
  await db.query(`create index if not exists ${t}_lead_at_idx on ${t} (lead_id, at)`);
  await db.query(`alter table ${t} add column if not exists email_sha256 text`);
  await db.query(
    `create index if not exists ${t}_email_idx on ${t} (email_sha256) where email_sha256 is not null`,
  );
  await db.query(`create table if not exists ${erasedTable(t)} (
    lead_id text primary key,
    erased_at timestamptz not null default now()
  )`);
}

/**
 * The lead ids whose rows an erasure request deleted (`<table>_erased`): random ids, no
 * personal data. A replay brings back records that carry only a lead id (an outcome, an
 * attempt) of a lead forgotten by email, which the suppression list cannot tell from a
 * stranger's; the index writes no row for a lead named here.
 */
export function erasedTable(table: string): string {
  return traceTable(`${traceTable(table)}_erased`);
}

/** The columns' types, in insert order: a VALUES list in a SELECT takes no type from the table. */
const TYPES = ['text', 'int', 'bigint', 'text', 'text', 'timestamptz', 'jsonb', 'text'];
const COLUMNS = TYPES.length;

/**
 * Writes rows in one multi-row insert. A record seen again after a replay or a crash before
 * the commit hits the primary key and is skipped, so the index never holds an event twice.
 */
export async function insertTraceRows(
  db: Queryable,
  table: string,
  rows: readonly TraceRow[],
): Promise<void> {
  if (rows.length === 0) return;
  const values: unknown[] = [];
  const tuples = rows.map((r, i) => {
    values.push(
      r.topic,
      r.partition,
      r.offset,
      r.leadId,
      r.stage,
      new Date(r.at),
      r.summary,
      r.emailSha256 ?? null,
    );
    const n = i * COLUMNS;
    return `(${TYPES.map((type, c) => `$${n + c + 1}::${type}`).join(', ')})`;
  });
  await db.query(
    `insert into ${traceTable(table)}
       (topic, partition, "offset", lead_id, stage, at, summary, email_sha256)
     select v.* from (values ${tuples.join(', ')})
       as v (topic, partition, "offset", lead_id, stage, at, summary, email_sha256)
     where not exists (select 1 from ${erasedTable(table)} e where e.lead_id = v.lead_id)
     on conflict do nothing`,
    values,
  );
}

/** A lead's events in the order they happened: one index range scan on (lead_id, at). */
export async function findTrace(db: Queryable, table: string, leadId: string): Promise<TraceRow[]> {
  const result = await db.query<{
    topic: string;
    partition: number;
    offset: string;
    stage: TraceStage;
    at: Date;
    summary: TraceSummary;
  }>(
    `select topic, partition, "offset", stage, at, summary from ${traceTable(table)}
     where lead_id = $1 order by at`,
    [leadId],
  );
  const rank = (s: TraceStage) => TRACE_STAGE_ORDER.indexOf(s);
  return result.rows
    .map((r) => ({
      leadId,
      topic: r.topic,
      partition: r.partition,
      offset: String(r.offset),
      stage: r.stage,
      at: r.at.getTime(),
      summary: r.summary,
    }))
    .sort((a, b) => a.at - b.at || rank(a.stage) - rank(b.stage));
}

/** Whom an erasure request names: a lead, or every lead of an email (by its SHA-256). */
export interface ErasureSubject {
  readonly leadId: string | null;
  readonly emailSha256: string | null;
}

/**
 * Deletes every row of the lead a request names, and for an email every row of every lead one
 * of whose events carried that email, and notes those lead ids in `<table>_erased` so no later
 * record of theirs is indexed again. Returns the rows deleted and how many leads they were.
 */
export async function eraseTrace(
  db: Queryable,
  table: string,
  subject: ErasureSubject,
): Promise<{ rows: number; leads: number }> {
  const t = traceTable(table);
  const result = await db.query<{ lead_id: string }>(
    `with gone as (
       delete from ${t} where lead_id = $1::text
         or lead_id in (select lead_id from ${t} where email_sha256 = $2::text)
       returning lead_id
     ), noted as (
       insert into ${erasedTable(t)} (lead_id)
       select lead_id from gone union select $1::text where $1::text is not null
       on conflict do nothing
     )
     select lead_id from gone`,
    [subject.leadId, subject.emailSha256],
  );
  return { rows: result.rows.length, leads: new Set(result.rows.map((r) => r.lead_id)).size };
}

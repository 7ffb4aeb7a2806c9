import type { LeadRow } from './lead-row.mapper';
import { LeadsTableError } from './leads-table.error';
import { qualifiedTable, type LeadsTableTarget } from './leads-table.target';

/** The columns written, in statement order; the first two are the primary key. */
export const LEAD_COLUMNS = [
  'destination',
  'lead_id',
  'lead',
  'owner_id',
  'queue',
  'rule_set_id',
  'rule_set_version',
  'matched_rule',
  'source',
  'received_at',
  'routed_at',
  'delivered_at',
  'email_sha256',
] as const;

/** PostgreSQL binds at most 65,535 parameters per statement. */
export const MAX_ROWS_PER_STATEMENT = Math.floor(65_535 / LEAD_COLUMNS.length);

export interface SqlStatement {
  text: string;
  values: unknown[];
}

function values(row: LeadRow): unknown[] {
  return [
    row.destination,
    row.leadId,
    JSON.stringify(row.lead),
    row.ownerId,
    row.queue,
    row.ruleSetId,
    row.ruleSetVersion,
    row.matchedRule,
    row.source,
    new Date(row.receivedAt),
    new Date(row.routedAt),
    new Date(row.deliveredAt),
    row.emailSha256,
  ];
}

/**
 * One row per (destination, lead): the latest routing wins, a later record breaking a tie. One
 * statement may not touch a row twice, so a lead seen twice in a chunk is written once.
 */
export function latestPerKey(rows: readonly LeadRow[]): LeadRow[] {
  const latest = new Map<string, LeadRow>();
  for (const row of rows) {
    const key = `${row.destination}\u0000${row.leadId}`;
    const seen = latest.get(key);
    if (!seen || row.routedAt >= seen.routedAt) latest.set(key, row);
  }
  return [...latest.values()];
}

/**
 * One multi-row `INSERT … ON CONFLICT (destination, lead_id) DO UPDATE`: a replayed lead updates
 * its row and never adds one. The `WHERE` keeps a newer routing of the lead when an older one is
 * replayed (a consumer group reset to an earlier offset); the same routing replayed updates.
 */
export function leadsUpsert(target: LeadsTableTarget, rows: readonly LeadRow[]): SqlStatement {
  const unique = latestPerKey(rows);
  if (unique.length === 0 || unique.length > MAX_ROWS_PER_STATEMENT) {
    throw new LeadsTableError(
      `one upsert takes 1 to ${MAX_ROWS_PER_STATEMENT} rows, not ${unique.length}`,
      'too_many_rows',
      { context: { rows: unique.length } },
    );
  }
  const n = LEAD_COLUMNS.length;
  const params: unknown[] = [];
  const tuples = unique.map((row, i) => {
    params.push(...values(row));
    const placeholders = LEAD_COLUMNS.map((_, c) => `$${i * n + c + 1}`);
    placeholders[2] += '::jsonb';
    return `(${placeholders.join(', ')})`;
  });
  const updates = LEAD_COLUMNS.slice(2).map((c) => `${c} = excluded.${c}`);
  return {
    text: [
      `insert into ${qualifiedTable(target)} as t (${LEAD_COLUMNS.join(', ')})`,
      `values ${tuples.join(', ')}`,
      `on conflict (destination, lead_id) do update set ${updates.join(', ')}`,
      'where t.routed_at <= excluded.routed_at',
    ].join('\n'),
    values: params,
  };
}

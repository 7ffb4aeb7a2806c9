import type { DeliveryVerdict, LeadVerdict } from '@lead-router/delivery';
import type { PostgresDestination } from '@lead-router/routing';
import type { DeliveryTask, ErasureSubject, SinkAdapter } from '@lead-router/sink-runtime';
import {
  MAX_ROWS_PER_STATEMENT,
  type LeadsTableTarget,
  type PostgresDestinations,
  type RefusedRow,
  type SqlClient,
  allTargets,
  eraseLeadRows,
  leadRow,
  tableFor,
  targetKey,
  upsertLeadRows,
} from '@lead-router/leads-table';

/** The dead letter's code for a lead a table refused. */
export const TABLE_REFUSED = 'table_refused';

export interface LeadsTableAdapterOptions {
  db: SqlClient;
  /** The environment's tables (PG_SCHEMA, PG_TABLE, PG_DESTINATION_TABLES). */
  tables: PostgresDestinations;
  /** Brings a table up to date; throws (retriable) when it cannot. */
  migrate(target: LeadsTableTarget): Promise<unknown>;
  /** Tables already migrated when the sink started. */
  migrated?: readonly LeadsTableTarget[];
  now?: () => number;
}

/**
 * sink-postgres's part of the sink layer: a batch is one multi-row upsert into the destination's
 * table, which the rule-set version that routed the leads names (`schema`, `table`), the
 * environment's table otherwise. A row the table refuses is `permanent` with the database's
 * words; any other failure throws, so the layer retries the batch. A replayed lead updates its row.
 */
export class LeadsTableAdapter implements SinkAdapter<PostgresDestination> {
  readonly type = 'postgres';
  private readonly migrations = new Map<string, Promise<unknown>>();
  /** Every table this sink may have written: the environment's and each one migrated. */
  private readonly tables = new Map<string, LeadsTableTarget>();
  private readonly now: () => number;

  constructor(private readonly options: LeadsTableAdapterOptions) {
    this.now = options.now ?? Date.now;
    for (const target of options.migrated ?? []) {
      this.migrations.set(targetKey(target), Promise.resolve());
      this.tables.set(targetKey(target), target);
    }
  }

  maxBatchSize(config: PostgresDestination): number {
    return Math.min(config.batch?.max_size ?? MAX_ROWS_PER_STATEMENT, MAX_ROWS_PER_STATEMENT);
  }

  // The statement is not cancelled on abort: an upsert that lands after the layer gave up on it
  // is written again by the retry, which updates the same row.
  async send(tasks: readonly DeliveryTask<PostgresDestination>[]): Promise<LeadVerdict[]> {
    // Tasks of one destination from different rule-set versions may name different tables.
    const byTable = new Map<
      string,
      { target: LeadsTableTarget; tasks: DeliveryTask<PostgresDestination>[] }
    >();
    for (const task of tasks) {
      const target = tableFor(this.options.tables, task.destination.id, task.config);
      const group = byTable.get(targetKey(target)) ?? { target, tasks: [] };
      group.tasks.push(task);
      byTable.set(targetKey(target), group);
    }
    const verdicts: LeadVerdict[] = [];
    for (const { target, tasks: group } of byTable.values()) {
      await this.migrated(target);
      const deliveredAt = this.now();
      const rows = group.map((t) => leadRow(t.lead, t.destination, deliveredAt));
      const refused = new Map<string, RefusedRow>();
      for (const r of await upsertLeadRows(this.options.db, target, rows)) {
        refused.set(r.row.leadId, r);
      }
      for (const task of group) {
        const leadId = task.lead.lead.lead_id;
        verdicts.push({ leadId, verdict: verdictFor(target, refused.get(leadId)) });
      }
    }
    return verdicts;
  }

  /**
   * A right-to-erasure request: the person's rows go from every table the sink knows (the
   * environment's, those the rule set names, those a later version named), whichever
   * destination wrote them. A table that neither names any more is not searched.
   */
  async erase(subject: ErasureSubject): Promise<number> {
    const tables = new Map(allTargets(this.options.tables).map((t) => [targetKey(t), t]));
    for (const [key, target] of this.tables) tables.set(key, target);
    let rows = 0;
    for (const target of tables.values()) {
      await this.migrated(target);
      rows += await eraseLeadRows(this.options.db, target, subject);
    }
    return rows;
  }

  /** A table first named by a rule-set version published after the start is migrated once. */
  private migrated(target: LeadsTableTarget): Promise<unknown> {
    const key = targetKey(target);
    this.tables.set(key, target);
    let migration = this.migrations.get(key);
    if (!migration) {
      migration = this.options.migrate(target).catch((error: unknown) => {
        this.migrations.delete(key);
        throw error;
      });
      this.migrations.set(key, migration);
    }
    return migration;
  }
}

function verdictFor(target: LeadsTableTarget, refusal: RefusedRow | undefined): DeliveryVerdict {
  if (!refusal) return { kind: 'delivered', crmId: null, created: null };
  return {
    kind: 'permanent',
    code: TABLE_REFUSED,
    message: `${targetKey(target)} refused the row (SQLSTATE ${refusal.sqlState}): ${refusal.error}`,
  };
}

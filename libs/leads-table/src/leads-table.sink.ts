import { deliveryIdFor, deliveryOutcome } from '@lead-router/delivery';
import { deadLetter, type RecordContext, type StageOutput } from '@lead-router/kafka';
import type { DeliveryOutcome, RoutedLead } from '@lead-router/schemas';
import { leadRow, type LeadRow } from './lead-row.mapper';
import type { RefusedRow } from './leads-table.store';
import { targetKey, type LeadsTableTarget } from './leads-table.target';
import { targetFor, type PostgresDestinations } from './postgres-destinations';

export const POSTGRES_DESTINATION_TYPE = 'postgres';

/** The dead letter's code for a lead a table refused. */
export const TABLE_REFUSED = 'table_refused';

export interface LeadsTableSinkOptions {
  stage: string;
  topics: { delivered: string; dlq: string };
  destinations: PostgresDestinations;
  /** Writes one table's rows; returns the rows the table refused. Throws to retry the chunk. */
  write(target: LeadsTableTarget, rows: readonly LeadRow[]): Promise<RefusedRow[]>;
  now(): number;
}

export interface ChunkWritten {
  outputs: StageOutput[];
  outcomes: DeliveryOutcome[];
}

/**
 * The leads of one chunk, written when the chunk ends: the handler adds each routed lead, the
 * stage's `afterChunk` calls `flush`, which writes each table's rows in one statement and returns
 * one outcome per (lead, postgres destination) plus a dead letter per lead a table refused, for
 * the runner to produce before it commits the chunk. Destinations of other types are left to
 * their sinks. It holds one chunk at a time, so the stage must not run partitions concurrently.
 */
export class LeadsTableSink {
  private pending: { routed: RoutedLead; record: RecordContext }[] = [];

  constructor(private readonly options: LeadsTableSinkOptions) {}

  /** Forgets what a chunk that failed half-way added; it is handled again from the start. */
  clear(): void {
    this.pending = [];
  }

  add(routed: RoutedLead, record: RecordContext): void {
    if (routed.destinations.some((d) => d.type === POSTGRES_DESTINATION_TYPE)) {
      this.pending.push({ routed, record });
    }
  }

  async flush(): Promise<ChunkWritten> {
    const pending = this.pending;
    this.pending = [];
    const { destinations, topics, stage } = this.options;
    const deliveredAt = this.options.now();

    const byTable = new Map<string, { target: LeadsTableTarget; rows: LeadRow[] }>();
    for (const { routed } of pending) {
      for (const d of routed.destinations) {
        if (d.type !== POSTGRES_DESTINATION_TYPE) continue;
        const target = targetFor(destinations, d.id);
        const group = byTable.get(targetKey(target)) ?? { target, rows: [] };
        group.rows.push(leadRow(routed, d, deliveredAt));
        byTable.set(targetKey(target), group);
      }
    }
    const refused = new Map<string, RefusedRow>();
    for (const { target, rows } of byTable.values()) {
      for (const r of await this.options.write(target, rows)) {
        refused.set(`${r.row.destination}\u0000${r.row.leadId}`, r);
      }
    }

    const completedAt = this.options.now();
    const outputs: StageOutput[] = [];
    const outcomes: DeliveryOutcome[] = [];
    for (const { routed, record } of pending) {
      const leadId = routed.lead.lead_id;
      let failure: RefusedRow | null = null;
      for (const d of routed.destinations) {
        if (d.type !== POSTGRES_DESTINATION_TYPE) continue;
        const refusal = refused.get(`${d.id}\u0000${leadId}`) ?? null;
        const table = targetKey(targetFor(destinations, d.id));
        const outcome = deliveryOutcome({
          routed,
          destination: d,
          deliveryId: deliveryIdFor(leadId, d.id),
          status: refusal ? 'FAILED' : 'DELIVERED',
          attempts: record.attempts,
          httpStatus: null,
          error: refusal ? `${table} refused the row: ${refusal.error}` : null,
          completedAt,
        });
        failure ??= refusal;
        outcomes.push(outcome);
        outputs.push({ topic: topics.delivered, key: leadId, value: outcome });
      }
      if (failure) {
        const table = targetKey(targetFor(destinations, failure.row.destination));
        const letter = deadLetter(
          stage,
          record,
          {
            code: TABLE_REFUSED,
            error: `${table} refused the row for destination ${failure.row.destination} (SQLSTATE ${failure.sqlState}): ${failure.error}`,
            attempts: record.attempts,
            leadId,
          },
          completedAt,
        );
        outputs.push({ topic: topics.dlq, key: record.key?.toString() ?? leadId, value: letter });
      }
    }
    return { outputs, outcomes };
  }
}

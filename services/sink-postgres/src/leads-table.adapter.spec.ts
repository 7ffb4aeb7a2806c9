import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { deliveryIdFor } from '@lead-router/delivery';
import type { PostgresDestination } from '@lead-router/routing';
import type { DeliveryTask } from '@lead-router/sink-runtime';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import {
  LEAD_COLUMNS,
  LeadsTableError,
  leadsTableTarget,
  postgresDestinations,
  targetKey,
  type LeadsTableTarget,
} from '@lead-router/leads-table';
import { LeadsTableAdapter, TABLE_REFUSED } from './leads-table.adapter';

const tables = postgresDestinations(leadsTableTarget('public', 'leads'), 'eu=sales.leads_eu');
const config = (named: Partial<PostgresDestination> = {}) =>
  ({ type: 'postgres', batch: { max_size: 1000 }, ...named }) as PostgresDestination;

const task = (
  leadId: string,
  destination = 'warehouse',
  named: Partial<PostgresDestination> = {},
): DeliveryTask<PostgresDestination> => {
  const lead = routedLeadFixture({
    lead: { lead_id: leadId },
    destinations: [destinationFixture({ id: destination, type: 'postgres', url: null })],
  });
  const to = lead.destinations[0]!;
  const deliveryId = deliveryIdFor(leadId, to.id);
  return { lead, destination: to, config: config(named), attempts: 1, deliveryId };
};

/** A pg-style client that records each statement's table and lead ids, refusing what `fail` picks. */
class FakeDb {
  readonly statements: { table: string; leads: unknown[] }[] = [];
  constructor(private readonly fail: (values: unknown[]) => Error | null = () => null) {}

  query = async (text: string, values: unknown[]) => {
    const table = /^insert into "(\w+)"\."(\w+)"/.exec(text)!.slice(1).join('.');
    this.statements.push({ table, leads: values.filter((_, i) => i % LEAD_COLUMNS.length === 1) });
    const failure = this.fail(values);
    if (failure) throw failure;
    return { rows: [] };
  };
}

function sut(db = new FakeDb(), migrated: LeadsTableTarget[] = []) {
  const migrations: string[] = [];
  const adapter = new LeadsTableAdapter({
    db,
    tables,
    migrate: async (target) => migrations.push(targetKey(target)),
    migrated,
    now: () => 5000,
  });
  return { adapter, db, migrations };
}

describe('LeadsTableAdapter', () => {
  it('serves postgres destinations, at most a statement’s rows per batch', () => {
    const { adapter } = sut();
    assert.equal(adapter.type, 'postgres');
    assert.equal(adapter.maxBatchSize(config({ batch: { max_size: 250 } })), 250);
    assert.equal(adapter.maxBatchSize(config({ batch: { max_size: 1_000_000 } })), 5041);
  });

  it('writes a batch in one statement and delivers every lead', async () => {
    const { adapter, db } = sut(new FakeDb(), [leadsTableTarget('public', 'leads')]);
    const verdicts = await adapter.send([task('a'), task('b'), task('c')]);
    assert.deepEqual(db.statements, [{ table: 'public.leads', leads: ['a', 'b', 'c'] }]);
    assert.deepEqual(
      verdicts.map((v) => [v.leadId, v.verdict.kind]),
      [
        ['a', 'delivered'],
        ['b', 'delivered'],
        ['c', 'delivered'],
      ],
    );
  });

  it('takes the table its rule-set version names, each key it leaves out from the environment', async () => {
    const { adapter, db, migrations } = sut();
    await adapter.send([task('a', 'eu', { table: 'leads_eu_v2' })]);
    await adapter.send([task('b', 'eu')]);
    await adapter.send([task('c', 'warehouse', { schema: 'analytics' })]);
    await adapter.send([task('d', 'warehouse', { schema: 'analytics' })]);
    assert.deepEqual(
      db.statements.map((s) => s.table),
      ['sales.leads_eu_v2', 'sales.leads_eu', 'analytics.leads', 'analytics.leads'],
    );
    assert.deepEqual(
      migrations,
      ['sales.leads_eu_v2', 'sales.leads_eu', 'analytics.leads'],
      'a table not migrated at start is migrated once, before its first write',
    );
  });

  it('answers a row the table refused as permanent with the database message', async () => {
    const refusal = Object.assign(new Error('unsupported Unicode escape sequence'), {
      code: '22P05',
    });
    const { adapter } = sut(new FakeDb((values) => (values.includes('bad') ? refusal : null)));
    const verdicts = await adapter.send([task('good'), task('bad')]);
    assert.deepEqual(verdicts, [
      { leadId: 'good', verdict: { kind: 'delivered', crmId: null, created: null } },
      {
        leadId: 'bad',
        verdict: {
          kind: 'permanent',
          code: TABLE_REFUSED,
          message:
            'public.leads refused the row (SQLSTATE 22P05): unsupported Unicode escape sequence',
        },
      },
    ]);
  });

  it('throws a retriable error when the database is at fault, and migrates again after a failed migration', async () => {
    const down = Object.assign(new Error('terminating connection'), { code: '57P01' });
    const { adapter } = sut(new FakeDb(() => down));
    await assert.rejects(
      adapter.send([task('a')]),
      (err: unknown) => err instanceof LeadsTableError && err.retriable,
    );

    let attempts = 0;
    const flaky = new LeadsTableAdapter({
      db: new FakeDb(),
      tables,
      migrate: async () => {
        if (++attempts === 1) throw new Error('connection refused');
      },
    });
    await assert.rejects(flaky.send([task('a')]), /connection refused/);
    assert.equal((await flaky.send([task('a')]))[0]!.verdict.kind, 'delivered');
    assert.equal(attempts, 2);
  });

  it("erases the person's rows from every table it knows, counting them", async () => {
    const deletes: { table: string; values: unknown[] }[] = [];
    const db = {
      query: async (text: string, values: unknown[]) => {
        deletes.push({
          table: /^delete from "(\w+)"\."(\w+)"/.exec(text)!.slice(1).join('.'),
          values,
        });
        return { rowCount: 2 };
      },
    };
    const adapter = new LeadsTableAdapter({
      db,
      tables,
      migrate: async () => undefined,
      migrated: [leadsTableTarget('analytics', 'leads')],
    });
    assert.equal(await adapter.erase({ leadId: 'L1', emailSha256: null }), 6);
    assert.deepEqual(deletes.map((d) => d.table).sort(), [
      'analytics.leads',
      'public.leads',
      'sales.leads_eu',
    ]);
    assert.deepEqual(deletes[0]!.values, ['L1', null]);
  });
});

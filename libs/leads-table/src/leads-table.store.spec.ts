import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import { leadRow, type LeadRow } from './lead-row.mapper';
import { LeadsTableError } from './leads-table.error';
import { eraseLeadRows, isRowRefusal, upsertLeadRows } from './leads-table.store';
import { leadsTableTarget } from './leads-table.target';

const target = leadsTableTarget('public', 'leads');
const row = (leadId: string): LeadRow => {
  const routed = routedLeadFixture({
    lead: { lead_id: leadId },
    destinations: [destinationFixture({ id: 'warehouse', type: 'postgres', url: null })],
  });
  return leadRow(routed, routed.destinations[0]!, 2000);
};

/** Answers each query, failing those `fail` picks with a pg-style error carrying a SQLSTATE. */
class FakeDb {
  readonly queries: unknown[][] = [];
  constructor(
    private readonly fail: (values: unknown[]) => { code: string; message: string } | null,
  ) {}

  query = async (_text: string, values: unknown[]) => {
    this.queries.push(values);
    const failure = this.fail(values);
    if (failure) throw Object.assign(new Error(failure.message), { code: failure.code });
    return { rows: [] };
  };
}

describe('upsertLeadRows', () => {
  it('writes a batch in one statement and refuses nothing', async () => {
    const db = new FakeDb(() => null);
    assert.deepEqual(await upsertLeadRows(db as never, target, [row('a'), row('b')]), []);
    assert.equal(db.queries.length, 1);
    assert.deepEqual(await upsertLeadRows(db as never, target, []), []);
    assert.equal(db.queries.length, 1, 'no rows, no statement');
  });

  it('when the table refuses a row, writes the rest one by one and returns the refusal', async () => {
    const refusal = { code: '22P05', message: 'unsupported Unicode escape sequence' };
    const db = new FakeDb((values) => (values.includes('b') ? refusal : null));
    const sut = await upsertLeadRows(db as never, target, [row('a'), row('b'), row('c')]);
    assert.equal(db.queries.length, 4, 'the batch, then each row alone');
    assert.deepEqual(
      sut.map((r) => [r.row.leadId, r.sqlState, r.error]),
      [['b', '22P05', 'unsupported Unicode escape sequence']],
    );
  });

  it('throws a retriable error when the database, not a row, is at fault', async () => {
    const db = new FakeDb(() => ({ code: '57P01', message: 'terminating connection' }));
    await assert.rejects(
      upsertLeadRows(db as never, target, [row('a')]),
      (err: unknown) =>
        err instanceof LeadsTableError &&
        err.code === 'leads_table_unavailable' &&
        err.retriable &&
        err.context['sqlState'] === '57P01',
    );
  });

  it('counts data exceptions and constraint violations as the row at fault', () => {
    for (const code of ['22P05', '22001', '23514', '23502']) assert.ok(isRowRefusal(code), code);
    for (const code of [undefined, '08006', '57P01', '42P01', '53300']) {
      assert.ok(!isRowRefusal(code), String(code));
    }
  });
});

describe('eraseLeadRows', () => {
  it("deletes the lead's rows and the email's in one statement, and counts them", async () => {
    const queries: { text: string; values: unknown[] }[] = [];
    const db = {
      query: async (text: string, values: unknown[]) => {
        queries.push({ text, values });
        return { rowCount: 3 };
      },
    };
    const sut = await eraseLeadRows(db, target, { leadId: null, emailSha256: 'ab12' });
    assert.equal(sut, 3);
    assert.match(
      queries[0]!.text,
      /delete from "public"."leads" where lead_id = \$1 or email_sha256 = \$2/,
    );
    assert.deepEqual(queries[0]!.values, [null, 'ab12']);
  });

  it('is a retriable LeadsTableError when the database is away', async () => {
    const db = { query: async () => Promise.reject(new Error('connection refused')) };
    await assert.rejects(
      eraseLeadRows(db, target, { leadId: 'a', emailSha256: null }),
      (err: unknown) => err instanceof LeadsTableError && err.retriable,
    );
  });
});

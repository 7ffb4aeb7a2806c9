import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadRouterError } from '@lead-router/errors';
import { TraceIndexError } from './trace-index.error';
import {
  eraseTrace,
  findTrace,
  insertTraceRows,
  traceTable,
  type TraceRow,
} from './trace-index.store';

/** Records every query and answers with the rows given. */
class RecordingDb {
  readonly queries: { text: string; values: unknown[] }[] = [];

  constructor(private readonly rows: unknown[] = []) {}

  query = async (text: string, values: unknown[] = []) => {
    this.queries.push({ text, values });
    return { rows: this.rows };
  };
}

const row = (offset: string, stage: TraceRow['stage'], at: number): TraceRow => ({
  leadId: 'lead-1',
  topic: 'leads.raw',
  partition: 0,
  offset,
  stage,
  at,
  summary: { company_domain: null, email_domain: null, free_mail: false, country: null },
});

describe('traceTable', () => {
  it('passes a plain lower-case identifier', () => {
    assert.equal(traceTable('lead_events_2'), 'lead_events_2');
  });

  it('refuses anything that could change the SQL, with an error from the root', () => {
    for (const name of ['Lead_Events', 'lead-events', 'x; drop table y', '1abc', 'a'.repeat(64)]) {
      assert.throws(
        () => traceTable(name),
        (err: unknown) =>
          err instanceof TraceIndexError &&
          err instanceof LeadRouterError &&
          err.code === 'invalid_trace_table' &&
          !err.retriable &&
          err.context['table'] === name,
        name,
      );
    }
  });
});

describe('insertTraceRows', () => {
  it('sends nothing for no rows', async () => {
    const db = new RecordingDb();
    await insertTraceRows(db as never, 'lead_events', []);
    assert.equal(db.queries.length, 0);
  });

  it('writes every row in one insert that skips rows already indexed', async () => {
    const db = new RecordingDb();
    await insertTraceRows(db as never, 'lead_events', [
      row('1', 'captured', 1),
      row('2', 'captured', 2),
    ]);
    assert.equal(db.queries.length, 1);
    const [{ text, values }] = db.queries as [{ text: string; values: unknown[] }];
    assert.match(text, /values \(\$1::text, .*\$8::text\), \(\$9::text, .*\$16::text\)\)/s);
    assert.match(
      text,
      /where not exists \(select 1 from lead_events_erased e .*on conflict do nothing/s,
    );
    assert.equal(values.length, 16);
    assert.deepEqual(values.slice(0, 5), ['leads.raw', 0, '1', 'lead-1', 'captured']);
    assert.equal(values[7], null);
  });

  it("writes the email's digest when the event carries one", async () => {
    const db = new RecordingDb();
    await insertTraceRows(db as never, 'lead_events', [
      { ...row('1', 'captured', 1), emailSha256: 'ab12' },
    ]);
    assert.equal(db.queries[0]?.values[7], 'ab12');
  });
});

describe('eraseTrace', () => {
  it("deletes the lead's rows and every lead's of the email, and counts both", async () => {
    const db = new RecordingDb([{ lead_id: 'a' }, { lead_id: 'a' }, { lead_id: 'b' }]);
    const sut = await eraseTrace(db as never, 'lead_events', { leadId: null, emailSha256: 'ab12' });
    assert.deepEqual(sut, { rows: 3, leads: 2 });
    assert.match(db.queries[0]!.text, /delete from lead_events where lead_id = \$1/);
    assert.match(db.queries[0]!.text, /insert into lead_events_erased \(lead_id\)/);
    assert.deepEqual(db.queries[0]?.values, [null, 'ab12']);
  });
});

describe('findTrace', () => {
  it('orders events of one instant by the stages a lead moves through', async () => {
    const at = new Date(5_000);
    const summary = {};
    const db = new RecordingDb([
      { topic: 'leads.routed', partition: 0, offset: '3', stage: 'routed', at, summary },
      { topic: 'leads.raw', partition: 1, offset: 9, stage: 'captured', at, summary },
      { topic: 'leads.enriched', partition: 0, offset: '2', stage: 'enriched', at, summary },
    ]);
    const sut = await findTrace(db as never, 'lead_events', 'lead-1');
    assert.deepEqual(
      sut.map((e) => [e.stage, e.offset, e.at]),
      [
        ['captured', '9', 5_000],
        ['enriched', '2', 5_000],
        ['routed', '3', 5_000],
      ],
    );
    assert.deepEqual(db.queries[0]?.values, ['lead-1']);
  });
});

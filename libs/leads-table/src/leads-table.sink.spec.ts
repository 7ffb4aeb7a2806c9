import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { RecordContext } from '@lead-router/kafka';
import type { DeadLetter, DeliveryOutcome, RoutedLead } from '@lead-router/schemas';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import type { LeadRow } from './lead-row.mapper';
import { LeadsTableSink } from './leads-table.sink';
import type { RefusedRow } from './leads-table.store';
import { leadsTableTarget, targetKey, type LeadsTableTarget } from './leads-table.target';
import { postgresDestinations } from './postgres-destinations';

const topics = { delivered: 'leads.delivered', dlq: 'leads.dlq' };
const record = (offset: string): RecordContext => ({
  topic: 'leads.routed',
  partition: 0,
  offset,
  key: Buffer.from('key'),
  value: Buffer.from('original bytes'),
  headers: {},
  attempts: 1,
});
const routed = (leadId: string, ...ids: [string, string][]): RoutedLead =>
  routedLeadFixture({
    lead: { lead_id: leadId, received_at: 1000 },
    destinations: ids.map(([id, type]) =>
      destinationFixture({ id, type, url: type === 'webhook' ? 'https://x.test' : null }),
    ),
  });

function sut(refuse: (row: LeadRow) => string | null = () => null) {
  const writes: { table: string; leads: string[] }[] = [];
  const sink = new LeadsTableSink({
    stage: 'sink-postgres',
    topics,
    destinations: postgresDestinations(leadsTableTarget('public', 'leads'), 'eu=sales.leads_eu'),
    write: async (target: LeadsTableTarget, rows: readonly LeadRow[]): Promise<RefusedRow[]> => {
      writes.push({
        table: targetKey(target),
        leads: rows.map((r) => `${r.destination}/${r.leadId}`),
      });
      return rows.flatMap((row) => {
        const error = refuse(row);
        return error ? [{ row, sqlState: '22P05', error }] : [];
      });
    },
    now: () => 5000,
  });
  return { sink, writes };
}

describe('LeadsTableSink', () => {
  it('ignores leads with no postgres destination and writes nothing for them', async () => {
    const { sink, writes } = sut();
    sink.add(routed('a', ['inbox', 'webhook'], ['crm', 'salesforce']), record('1'));
    assert.deepEqual(await sink.flush(), { outputs: [], outcomes: [] });
    assert.deepEqual(writes, []);
  });

  it('writes each table once per chunk and gives each (lead, postgres destination) one outcome', async () => {
    const { sink, writes } = sut();
    sink.add(routed('a', ['inbox', 'webhook'], ['warehouse', 'postgres']), record('1'));
    sink.add(routed('b', ['warehouse', 'postgres'], ['eu', 'postgres']), record('2'));
    const { outputs, outcomes } = await sink.flush();
    assert.deepEqual(writes, [
      { table: 'public.leads', leads: ['warehouse/a', 'warehouse/b'] },
      { table: 'sales.leads_eu', leads: ['eu/b'] },
    ]);
    assert.deepEqual(
      outcomes.map((o) => [o.lead_id, o.destination_id, o.destination_type, o.status, o.attempts]),
      [
        ['a', 'warehouse', 'postgres', 'DELIVERED', 1],
        ['b', 'warehouse', 'postgres', 'DELIVERED', 1],
        ['b', 'eu', 'postgres', 'DELIVERED', 1],
      ],
    );
    assert.equal(outcomes[0]!.speed_to_lead_ms, 4000);
    assert.ok(outputs.every((o) => o.topic === topics.delivered));
    assert.deepEqual(await sink.flush(), { outputs: [], outcomes: [] }, 'flushed once');
  });

  it('fails and dead-letters a lead a table refused, with the database message and the original bytes', async () => {
    const { sink } = sut((row) =>
      row.leadId === 'bad' && row.destination === 'eu' ? 'no NUL' : null,
    );
    sink.add(routed('bad', ['warehouse', 'postgres'], ['eu', 'postgres']), record('7'));
    sink.add(routed('good', ['eu', 'postgres']), record('8'));
    const { outputs, outcomes } = await sink.flush();
    assert.deepEqual(
      outcomes.map((o) => [o.lead_id, o.destination_id, o.status]),
      [
        ['bad', 'warehouse', 'DELIVERED'],
        ['bad', 'eu', 'FAILED'],
        ['good', 'eu', 'DELIVERED'],
      ],
    );
    assert.equal((outcomes[1] as DeliveryOutcome).error, 'sales.leads_eu refused the row: no NUL');
    const letters = outputs.filter((o) => o.topic === topics.dlq);
    assert.equal(letters.length, 1);
    const letter = letters[0]!.value as DeadLetter;
    assert.equal(letter.error_code, 'table_refused');
    assert.equal(letter.lead_id, 'bad');
    assert.equal(letter.offset, '7');
    assert.deepEqual(letter.value, Buffer.from('original bytes'));
    assert.match(
      letter.error,
      /^sales\.leads_eu refused the row for destination eu \(SQLSTATE 22P05\): no NUL$/,
    );
  });

  it('forgets a chunk that failed half-way when the next one starts', async () => {
    const { sink, writes } = sut();
    sink.add(routed('a', ['warehouse', 'postgres']), record('1'));
    sink.clear();
    sink.add(routed('b', ['warehouse', 'postgres']), record('1'));
    await sink.flush();
    assert.deepEqual(writes, [{ table: 'public.leads', leads: ['warehouse/b'] }]);
  });

  it('rethrows a failed write, so the runner commits nothing for the chunk', async () => {
    const sink = new LeadsTableSink({
      stage: 'sink-postgres',
      topics,
      destinations: postgresDestinations(leadsTableTarget('public', 'leads'), ''),
      write: async () => {
        throw new Error('connection refused');
      },
      now: () => 5000,
    });
    sink.add(routed('a', ['warehouse', 'postgres']), record('1'));
    await assert.rejects(sink.flush(), /connection refused/);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import { leadRow, type LeadRow } from './lead-row.mapper';
import { leadsTableTarget } from './leads-table.target';
import {
  LEAD_COLUMNS,
  MAX_ROWS_PER_STATEMENT,
  latestPerKey,
  leadsUpsert,
} from './leads-upsert.builder';

const target = leadsTableTarget('analytics', 'leads');
const row = (leadId: string, routedAt = 1000, destination = 'warehouse'): LeadRow => {
  const routed = routedLeadFixture({
    lead: { lead_id: leadId },
    decision: { decided_at: routedAt },
    destinations: [destinationFixture({ id: destination, type: 'postgres', url: null })],
  });
  return leadRow(routed, routed.destinations[0]!, 2000);
};

describe('leadsUpsert', () => {
  it('writes every row in one multi-row insert that updates on the primary key', () => {
    const sut = leadsUpsert(target, [row('a'), row('b'), row('c')]);
    assert.equal(sut.values.length, 3 * LEAD_COLUMNS.length);
    assert.match(sut.text, /^insert into "analytics"\."leads" as t \(destination, lead_id, lead,/);
    assert.equal(sut.text.match(/\(\$\d+/g)?.length, 3, 'three tuples');
    assert.match(sut.text, /\(\$27, \$28, \$29::jsonb, .* \$39\)\n/);
    assert.match(
      sut.text,
      /on conflict \(destination, lead_id\) do update set lead = excluded\.lead/,
    );
    assert.match(
      sut.text,
      /delivered_at = excluded\.delivered_at, email_sha256 = excluded\.email_sha256\nwhere t\.routed_at <= excluded\.routed_at$/,
    );
    assert.ok(
      !/destination = excluded|lead_id = excluded/.test(sut.text),
      'the key is not updated',
    );
  });

  it('binds the values in column order, the lead as JSON and the times as dates', () => {
    const r = row('a');
    const { values } = leadsUpsert(target, [r]);
    assert.deepEqual(values.slice(0, 2), ['warehouse', 'a']);
    assert.deepEqual(JSON.parse(values[2] as string), r.lead);
    assert.deepEqual(values.slice(9), [
      new Date(r.receivedAt),
      new Date(1000),
      new Date(2000),
      r.emailSha256,
    ]);
  });

  it('touches each (destination, lead) once: the latest routing, then the later record', () => {
    const newer = row('a', 2000);
    const older = row('a', 1000);
    assert.deepEqual(latestPerKey([newer, older, row('a', 1500, 'other')]), [
      newer,
      row('a', 1500, 'other'),
    ]);
    const last = { ...row('a', 1000), ownerId: 'bob' };
    assert.deepEqual(latestPerKey([row('a', 1000), last]), [last]);
    assert.equal(leadsUpsert(target, [newer, older]).values.length, LEAD_COLUMNS.length);
  });

  it('refuses no rows or more than the parameter limit allows', () => {
    assert.throws(() => leadsUpsert(target, []), { code: 'too_many_rows' });
    const many = Array.from({ length: MAX_ROWS_PER_STATEMENT + 1 }, (_, i) => row(`l${i}`));
    assert.throws(() => leadsUpsert(target, many), { code: 'too_many_rows' });
  });
});

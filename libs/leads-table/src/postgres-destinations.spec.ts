import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadsTableError } from './leads-table.error';
import { leadsTableTarget } from './leads-table.target';
import {
  allTargets,
  postgresDestinations,
  startTargets,
  tableFor,
  targetFor,
} from './postgres-destinations';

const fallback = leadsTableTarget('public', 'leads');

describe('postgresDestinations', () => {
  it('gives named destinations their table, in the default schema unless one is named', () => {
    const sut = postgresDestinations(fallback, ' warehouse=analytics.leads , eu=leads_eu,');
    assert.deepEqual(targetFor(sut, 'warehouse'), { schema: 'analytics', table: 'leads' });
    assert.deepEqual(targetFor(sut, 'eu'), { schema: 'public', table: 'leads_eu' });
    assert.deepEqual(targetFor(sut, 'anything-else'), fallback);
  });

  it('lists every table once, the default first', () => {
    const sut = postgresDestinations(fallback, 'a=leads,b=x.leads,c=x.leads');
    assert.deepEqual(allTargets(sut), [fallback, { schema: 'x', table: 'leads' }]);
  });

  it('reports every bad entry in one error', () => {
    assert.throws(
      () => postgresDestinations(fallback, 'a=Leads,b,c=x.y.z,a=ok,d=ok'),
      (err: unknown) => {
        assert.ok(err instanceof LeadsTableError);
        assert.equal(err.code, 'invalid_destination_tables');
        const problems = err.context['problems'] as string[];
        assert.equal(problems.length, 3, problems.join('\n'));
        assert.match(err.message, /a: leads table name "Leads"/);
        assert.match(err.message, /"b" is not destination=table/);
        assert.match(err.message, /"c=x.y.z" is not/);
        return true;
      },
    );
    assert.throws(() => postgresDestinations(fallback, 'a=x,a=y'), /destination a is named twice/);
  });

  it('takes each key a destination names over the environment’s', () => {
    const env = postgresDestinations(fallback, 'eu=sales.leads_eu');
    assert.deepEqual(tableFor(env, 'eu', {}), { schema: 'sales', table: 'leads_eu' });
    assert.deepEqual(tableFor(env, 'eu', { table: 'eu_v2' }), { schema: 'sales', table: 'eu_v2' });
    assert.deepEqual(tableFor(env, 'other', { schema: 'x' }), { schema: 'x', table: 'leads' });
    assert.throws(() => tableFor(env, 'eu', { table: 'Bad' }), { code: 'invalid_leads_table' });
  });

  it('lists the environment’s tables and the rule set’s postgres ones once each', () => {
    const env = postgresDestinations(fallback, 'eu=sales.leads_eu');
    const sut = startTargets(env, [
      ['eu', { type: 'postgres' }],
      ['warehouse', { type: 'postgres', schema: 'analytics' }],
      ['inbox', { type: 'webhook', table: 'ignored' }],
    ]);
    assert.deepEqual(sut, [
      fallback,
      { schema: 'sales', table: 'leads_eu' },
      { schema: 'analytics', table: 'leads' },
    ]);
  });
});

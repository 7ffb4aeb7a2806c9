import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadRouterError } from '@lead-router/errors';
import { LeadsTableError } from './leads-table.error';
import { MAX_TABLE_NAME_LENGTH, leadsTableTarget, qualifiedTable } from './leads-table.target';

describe('leadsTableTarget', () => {
  it('passes plain lower-case identifiers and quotes them, so a keyword still works', () => {
    const sut = leadsTableTarget('analytics', 'order');
    assert.deepEqual(sut, { schema: 'analytics', table: 'order' });
    assert.equal(qualifiedTable(sut), '"analytics"."order"');
  });

  it('refuses any schema or table that could change the SQL, with an error from the root', () => {
    const bad: [string, string][] = [
      ['public', 'Leads'],
      ['public', 'leads; drop table x'],
      ['public', 'le"ads'],
      ['sales-eu', 'leads'],
      ['1abc', 'leads'],
      ['public', ''],
    ];
    for (const [schema, table] of bad) {
      assert.throws(
        () => leadsTableTarget(schema, table),
        (err: unknown) =>
          err instanceof LeadsTableError &&
          err instanceof LeadRouterError &&
          err.code === 'invalid_leads_table' &&
          !err.retriable,
        `${schema}.${table}`,
      );
    }
  });

  it('refuses a table whose migrations table name would be cut at 63 bytes', () => {
    assert.doesNotThrow(() => leadsTableTarget('public', 'a'.repeat(MAX_TABLE_NAME_LENGTH)));
    assert.throws(
      () => leadsTableTarget('public', 'a'.repeat(MAX_TABLE_NAME_LENGTH + 1)),
      /longer than 47/,
    );
  });
});

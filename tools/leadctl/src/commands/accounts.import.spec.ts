import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import type { Account } from '@lead-router/schemas';
import { CliFailure } from '../cli.errors';
import { formatRowReport, importAccounts, type AccountRowReport } from './accounts.import';

const now = Date.parse('2026-12-01T10:00:00Z');

async function run(csv: string, batchSize = 2, failSend = false) {
  const batches: string[][] = [];
  const reports: AccountRowReport[] = [];
  const summary = await importAccounts(
    Readable.from([Buffer.from(csv)]),
    {
      send: async (accounts: readonly Account[]) => {
        if (failSend) throw new Error('broker down');
        batches.push(accounts.map((a) => a.account_id));
      },
      report: (row) => reports.push(row),
    },
    now,
    batchSize,
  );
  return { summary, batches, reports: reports.map(formatRowReport) };
}

describe('importAccounts', () => {
  it('imports the good rows in batches and reports every row in file order', async () => {
    const csv = [
      'account_id,name,domains,owner,owner.crm',
      'A1,Acme Ltd.,acme.co.uk,alice,005A1',
      'A2,,globex.com,,',
      'A3,Initech,initech.com;initech.io,,005B2',
      'A4,Umbrella,umbrella.com,,,extra',
      'A7,Umb"rella,umbrella.com,,',
      'A5,Hooli,gmail.com,,',
      'A6,Stark,stark.com,tony,',
    ].join('\n');
    const { summary, batches, reports } = await run(csv);
    assert.deepEqual(summary, { imported: 3, refused: 4 });
    assert.deepEqual(batches, [['A1', 'A3'], ['A6']]);
    assert.equal(reports.length, 7);
    assert.equal(reports[0], 'line 2: A1 ok');
    assert.equal(reports[1], 'line 3: A2 refused: name: required');
    assert.equal(reports[2], 'line 4: A3 ok');
    assert.equal(
      reports[3],
      'line 5: - refused: unreadable CSV: Invalid Record Length: columns length is 5, got 6 on line 5',
    );
    assert.match(reports[4]!, /^line 6: - refused: unreadable CSV: Invalid Opening Quote/);
    assert.equal(
      reports[5],
      'line 7: A5 refused: domains: "gmail.com" is a free mail provider: every lead mailing from it would match',
    );
    assert.equal(reports[6], 'line 8: A6 ok');
  });

  it('refuses a file with an unknown column before importing anything', async () => {
    await assert.rejects(run('account_id,name,region\nA1,Acme,EU\n'), (err: unknown) => {
      assert.ok(err instanceof CliFailure);
      assert.match(err.message, /^unknown column region: an accounts file has account_id, name/);
      return true;
    });
  });

  it('reports no row as ok when Kafka did not take it', async () => {
    const batches: string[][] = [];
    const reports: AccountRowReport[] = [];
    await assert.rejects(
      importAccounts(
        Readable.from([Buffer.from('account_id,name\nA1,Acme\n')]),
        {
          send: () => Promise.reject(new Error('broker down')),
          report: (row) => reports.push(row),
        },
        now,
      ),
      /broker down/,
    );
    assert.deepEqual([batches, reports], [[], []]);
  });
});

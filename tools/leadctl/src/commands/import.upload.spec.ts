import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { text } from 'node:stream/consumers';
import { describe, it } from 'node:test';
import { formatMapping, headOf, importQuery, UploadMeter } from './import.upload';

const dir = mkdtempSync(join(tmpdir(), 'leadctl-import-spec-'));

describe('importQuery', () => {
  const sut = importQuery;

  it('sends the mapping file, then each --map, the key column and the dry run', () => {
    const mapping = join(dir, 'mapping.json');
    writeFileSync(mapping, JSON.stringify({ 'E-Mail': 'email', Notes: null }));
    const query = sut({ map: ['Ref=partner_ref', 'a=b=c'], mapping, keyColumn: 'Ref' }, true);
    assert.equal(
      query.toString(),
      'map=E-Mail%3Demail&map=Notes%3D&map=Ref%3Dpartner_ref&map=a%3Db%3Dc&key_column=Ref&dry_run=true',
    );
  });

  it('refuses a --map without a column, and a mapping file that is not an object', () => {
    assert.throws(() => sut({ map: ['=email'] }, false), /--map =email: expected <column>=<field>/);
    const list = join(dir, 'list.json');
    writeFileSync(list, '["email"]');
    assert.throws(() => sut({ map: [], mapping: list }, false), /expected \{"<column>": "<field>"/);
  });
});

describe('headOf', () => {
  it('cuts the sample after its last complete line', async () => {
    const file = join(dir, 'big.csv');
    writeFileSync(file, 'email\n' + 'a@b.co\n'.repeat(10));
    assert.equal((await headOf(file, 20)).toString(), 'email\na@b.co\na@b.co\n');
    assert.equal((await headOf(file)).length, 6 + 70);
  });
});

describe('UploadMeter', () => {
  it('passes the bytes through and counts the rows after the header', async () => {
    const sut = new UploadMeter();
    const out = await text(
      Readable.from([Buffer.from('email\na@b'), Buffer.from('.co\nc@d.co\n')]).pipe(sut),
    );
    assert.equal(out, 'email\na@b.co\nc@d.co\n');
    assert.deepEqual([sut.bytes, sut.rows], [20, 2]);
  });
});

describe('formatMapping', () => {
  it('shows each column, how it was chosen, the key and the first rows', () => {
    assert.equal(
      formatMapping({
        source: 'partner-acme',
        key_column: null,
        mapping: [
          { column: 'E-Mail', field: 'email', by: 'synonym' },
          { column: 'Notes', field: null, by: 'given' },
        ],
        rows: [{ row: 1, line: 2, status: 'rejected', lead_id: null, reason: 'row: no contact' }],
      }),
      [
        'columns of the file → fields of source "partner-acme"\'s leads:',
        '  E-Mail  → email  (guessed)',
        '  Notes   → (left out)',
        "each row's key: a hash of its content (a re-import of the same rows adds no lead)",
        'the first 1 row(s):',
        '  row 1 (line 2): rejected: row: no contact',
      ].join('\n'),
    );
  });
});

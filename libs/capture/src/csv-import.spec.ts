import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { resolveCsvMapping, type CsvMapping } from './csv-mapping';
import { captureCsvRow } from './csv-row.capturer';
import { readCsvRows, type CsvRow } from './csv-rows.reader';
import { leadIdFor } from './lead-id.generator';

const ctx = { source: 'partner-acme', now: 1_764_000_000_000, channel: 'http' as const };

function mappingOf(header: string[], request = {}): CsvMapping {
  const result = resolveCsvMapping(header, request);
  if (!result.ok) assert.fail(result.error.join('; '));
  return result.value;
}

describe('resolveCsvMapping', () => {
  const sut = resolveCsvMapping;

  it('guesses known fields from English and German headers, the rest become attributes', () => {
    const mapping = mappingOf([
      'E-Mail',
      'Vorname',
      'Last Name',
      'Firma',
      'Tel',
      'Land',
      'Lead Source (UTM)',
    ]);
    assert.deepEqual(
      mapping.columns.map((c) => [c.column, c.field, c.by]),
      [
        ['E-Mail', 'email', 'synonym'],
        ['Vorname', 'first_name', 'synonym'],
        ['Last Name', 'last_name', 'synonym'],
        ['Firma', 'company', 'synonym'],
        ['Tel', 'phone', 'synonym'],
        ['Land', 'country', 'synonym'],
        ['Lead Source (UTM)', 'lead_source_utm', 'attribute'],
      ],
    );
    assert.equal(mapping.keyColumn, null);
  });

  it('lets the caller map and skip columns, and takes a column guessed as id as the key', () => {
    const mapping = mappingOf(['Email Address', 'Mail', 'Lead ID', 'Notes'], {
      given: { Mail: 'secondary_email', Notes: '-' },
    });
    assert.deepEqual(
      mapping.columns.map((c) => [c.column, c.field]),
      [
        ['Email Address', 'email'],
        ['Mail', 'secondary_email'],
        ['Lead ID', 'source_lead_id'],
        ['Notes', null],
      ],
    );
    assert.equal(mapping.keyColumn, 'Lead ID');
  });

  it('refuses every problem at once', () => {
    const result = sut(['email', 'email', '', 'Web'], {
      given: { Phone: 'phone', Web: 'bad name!' },
      keyColumn: 'Order',
    });
    assert.deepEqual(result, {
      ok: false,
      error: [
        'column "email" appears twice in the header',
        'column 3 has no name in the header',
        'mapped column "Phone" is not in the header',
        'key column "Order" is not in the header',
        'column "Web" is mapped to "bad name!": expected a lead field (email, phone, first_name, last_name, company, website, country, job_title, message, source_lead_id) or an attribute name of letters, digits, _ . -',
      ],
    });
  });
});

describe('captureCsvRow', () => {
  const sut = captureCsvRow;
  const mapping = mappingOf(['Email', 'First Name', 'Company', 'Tel']);

  it('gives the same row the same lead id, whatever the column order or email case', () => {
    const first = sut(['ada@example.com', 'Ada', 'Engines', ''], mapping, ctx);
    const reordered = mappingOf(['Company', 'Email', 'First Name']);
    const again = sut(['Engines', ' ADA@example.com', 'Ada'], reordered, ctx);
    assert.ok(first.ok && again.ok);
    assert.equal(first.value.lead_id, again.value.lead_id);
    assert.equal(first.value.phone, null);
    const other = sut(['ada@example.com', 'Ada', 'Engines Ltd', ''], mapping, ctx);
    assert.ok(other.ok);
    assert.notEqual(other.value.lead_id, first.value.lead_id);
  });

  it('takes the key column as source_lead_id and derives the lead id from it', () => {
    const keyed = mappingOf(['Email', 'Order'], { keyColumn: 'Order' });
    const lead = sut(['ada@example.com', 'O-7'], keyed, ctx);
    assert.ok(lead.ok);
    assert.equal(lead.value.source_lead_id, 'O-7');
    assert.equal(lead.value.lead_id, leadIdFor('partner-acme', 'O-7'));
    assert.deepEqual(lead.value.attributes, { order: 'O-7' });
    assert.deepEqual(sut(['ada@example.com', ' '], keyed, ctx), {
      ok: false,
      error: [{ field: 'Order', code: 'missing_key', message: 'Order: the key column is empty' }],
    });
  });

  it('refuses a row without contact, or with another number of fields than the header', () => {
    assert.deepEqual(sut(['', 'Ada', 'Engines', ' '], mapping, ctx), {
      ok: false,
      error: [
        {
          field: 'row',
          code: 'missing_contact',
          message: 'row: expected an email or a phone, and neither was given',
        },
      ],
    });
    assert.deepEqual(sut(['a@b.co', 'Ada'], mapping, ctx), {
      ok: false,
      error: [
        {
          field: 'row',
          code: 'wrong_field_count',
          message: 'row: expected 4 fields as in the header, got 2',
        },
      ],
    });
  });
});

describe('readCsvRows', () => {
  const sut = readCsvRows;
  const rowsOf = async (text: string, chunk = 7) => {
    const chunks = text.match(new RegExp(`[\\s\\S]{1,${chunk}}`, 'g')) ?? [];
    const rows: CsvRow[] = [];
    for await (const row of sut(Readable.from(chunks.map((c) => Buffer.from(c))))) rows.push(row);
    return rows;
  };

  it('numbers rows from the header, in file order, with unreadable records in place', async () => {
    const rows = await rowsOf(
      '\uFEFFemail,name\na@b.co,"Ada, Countess"\n\nb@b.co,Bo"b\nc@b.co,"multi\nline"\nd@b.co,Dee\n',
    );
    assert.deepEqual(rows, [
      { row: 0, line: 1, cells: ['email', 'name'] },
      { row: 1, line: 2, cells: ['a@b.co', 'Ada, Countess'] },
      {
        row: 2,
        line: 4,
        error:
          'unreadable CSV: Invalid Opening Quote: a quote is found on field 1 at line 4, value is "Bo"',
      },
      { row: 3, line: 6, cells: ['c@b.co', 'multi\nline'] },
      { row: 4, line: 7, cells: ['d@b.co', 'Dee'] },
    ]);
  });
});

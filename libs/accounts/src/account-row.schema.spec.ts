import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAccountRow, unknownAccountColumns } from './account-row.schema';

describe('parseAccountRow', () => {
  const now = Date.parse('2026-12-01T10:00:00Z');

  it('reads an account with registrable domains and owners by destination', () => {
    const result = parseAccountRow(
      {
        account_id: ' ACC-1 ',
        name: 'Acme Ltd.',
        domains: 'https://shop.acme.co.uk/x; ACME.com, acme.com',
        owner: 'alice',
        'owner.crm': '005A1',
        'owner.hubspot': '',
        updated_at: '2026-11-30T09:00:00Z',
      },
      now,
    );
    assert.deepEqual(result, {
      ok: true,
      account: {
        account_id: 'ACC-1',
        name: 'Acme Ltd.',
        domains: ['acme.co.uk', 'acme.com'],
        owner_member_id: 'alice',
        owner_ids: { crm: '005A1' },
        updated_at: Date.parse('2026-11-30T09:00:00Z'),
      },
    });
  });

  it('stamps the import time when the row has none, and stores IDN domains in punycode', () => {
    const result = parseAccountRow({ account_id: 'A', name: 'Bücher', domains: 'bücher.de' }, now);
    assert.ok(result.ok);
    assert.equal(result.account.updated_at, now);
    assert.deepEqual(result.account.domains, ['xn--bcher-kva.de']);
    assert.equal(result.account.owner_member_id, null);
  });

  it('refuses a row with every reason: missing id, a bad domain, free mail, a bad date', () => {
    const result = parseAccountRow(
      { account_id: '', name: 'X', domains: 'localhost gmail.com', updated_at: 'yesterday' },
      now,
    );
    assert.deepEqual(result, {
      ok: false,
      reason:
        'account_id: required; domains: "localhost" is not a domain with a public suffix; ' +
        'domains: "gmail.com" is a free mail provider: every lead mailing from it would match; ' +
        'updated_at: expected an ISO 8601 date-time such as 2026-11-30T09:00:00Z',
    });
  });
});

describe('unknownAccountColumns', () => {
  it('names the columns an accounts file cannot have', () => {
    assert.deepEqual(
      unknownAccountColumns(['account_id', 'name', 'owner.crm', 'owner', 'region', 'owner.']),
      ['region', 'owner.'],
    );
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { ContactSeen } from '@lead-router/schemas';
import {
  enrichedLeadFixture,
  normalizedLeadFixture,
  routedLeadFixture,
} from '@lead-router/testing';
import { checkContact, contactKeysOf, contactKindOf, routedOwnerOf } from './duplicate.check';

const MINUTE = 60_000;

describe('contactKeysOf', () => {
  it('keys the email case-insensitively and the phone by E.164, hashed, email first', () => {
    const a = contactKeysOf(
      normalizedLeadFixture({ email: 'Ada@Example.com', phone: '+4915123456789' }),
    );
    const b = contactKeysOf(normalizedLeadFixture({ email: 'ada@example.com', phone: null }));
    assert.equal(a.length, 2);
    assert.equal(a[0], b[0]);
    assert.match(a[0]!, /^email:[0-9a-f]{64}$/);
    assert.match(a[1]!, /^phone:[0-9a-f]{64}$/);
    assert.doesNotMatch(a.join(), /ada|example|4915123456789/i);
    assert.equal(contactKindOf(a[1]!), 'phone');
    assert.deepEqual(contactKeysOf(normalizedLeadFixture({ email: null, phone: null })), []);
  });
});

describe('checkContact', () => {
  const key = 'email:abc';
  const lead = (id: string, at: number, duplicateOf: string | null = null) =>
    enrichedLeadFixture({
      lead: normalizedLeadFixture({ lead_id: id, received_at: at }),
      enrichment: { duplicate_of: duplicateOf },
    });
  // The fixture's email, ada@analytical-engines.com, as an erasure request names it.
  const ada = 'c4271a0dfd084abaa3f53dcc473a971a2e40e8bd47f94ac69277c3bbfa9f9059';
  const first: ContactSeen = {
    contact_key: key,
    lead_id: 'L1',
    seen_at: 0,
    owner: 'alice',
    email_sha256: null,
  };

  it('makes the first lead of a contact its entry', () => {
    assert.deepEqual(checkContact(undefined, key, lead('L1', 0), 10 * MINUTE), {
      first: null,
      record: { contact_key: key, lead_id: 'L1', seen_at: 0, owner: null, email_sha256: ada },
    });
  });

  it('finds a lead within the window a duplicate of the first, with its owner', () => {
    assert.deepEqual(checkContact(first, key, lead('L2', MINUTE), 10 * MINUTE), {
      first,
      record: null,
    });
  });

  it('starts over after the window, and does not find a replayed lead its own duplicate', () => {
    assert.deepEqual(checkContact(first, key, lead('L3', 11 * MINUTE), 10 * MINUTE), {
      first: null,
      record: {
        contact_key: key,
        lead_id: 'L3',
        seen_at: 11 * MINUTE,
        owner: null,
        email_sha256: ada,
      },
    });
    assert.deepEqual(checkContact(first, key, lead('L1', 0), 10 * MINUTE), {
      first: null,
      record: null,
    });
  });

  it('keeps the duplicate found by an earlier contact', () => {
    assert.deepEqual(checkContact(first, key, lead('L2', MINUTE, 'L0'), 10 * MINUTE), {
      first: null,
      record: null,
    });
  });
});

describe('routedOwnerOf', () => {
  it('is the chosen member, else the fixed owner', () => {
    const routed = routedLeadFixture();
    assert.equal(routedOwnerOf(routed), 'alice', 'the member, not her owner id 005A1');
    assert.equal(
      routedOwnerOf({
        ...routed,
        decision: { ...routed.decision, distribution: null, owner_id: '005X' },
      }),
      '005X',
    );
  });
});

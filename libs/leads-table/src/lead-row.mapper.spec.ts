import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import { leadRow } from './lead-row.mapper';

describe('leadRow', () => {
  it('keys the row by destination and lead, with the owner chosen for that destination', () => {
    const routed = routedLeadFixture({
      destinations: [
        destinationFixture({ id: 'crm', type: 'salesforce', owner_id: '005A1' }),
        destinationFixture({ id: 'warehouse', type: 'postgres', url: null, owner_id: 'alice' }),
      ],
    });
    const sut = leadRow(routed, routed.destinations[1]!, 1_800_000_000_000);
    assert.deepEqual(sut, {
      destination: 'warehouse',
      leadId: routed.lead.lead_id,
      lead: routed,
      ownerId: 'alice',
      queue: 'sales',
      ruleSetId: 'default',
      ruleSetVersion: '2026-11-25.1',
      matchedRule: 'enterprise-emea',
      source: routed.lead.source,
      receivedAt: routed.lead.received_at,
      routedAt: routed.decision.decided_at,
      deliveredAt: 1_800_000_000_000,
      // SHA-256 of ada@analytical-engines.com: what an erasure request names the email by.
      emailSha256: 'c4271a0dfd084abaa3f53dcc473a971a2e40e8bd47f94ac69277c3bbfa9f9059',
    });
  });
});

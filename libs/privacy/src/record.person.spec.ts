import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type {
  ContactCheck,
  DeadLetter,
  DeliveryAttempt,
  DeliveryOutcome,
  QueueAssignment,
  SourceLeadReference,
} from '@lead-router/schemas';
import {
  enrichedLeadFixture,
  metaGraphLead,
  normalizedLeadFixture,
  rawLeadFixture,
  routedLeadFixture,
} from '@lead-router/testing';
import { PLATFORM_DEFAULT_FIELDS, captureLead, metaLeadInput } from '@lead-router/capture';
import { erasureRequestFor } from './erasure.request';
import { personOf } from './record.person';
import { SuppressionList } from './suppression.list';

const ada = {
  leadId: '7d1c9c1e-0f5e-4c55-9b8e-2d7f0c6f6a11',
  email: 'ada@analytical-engines.com',
  receivedAtMs: Date.UTC(2026, 10, 25, 12, 0, 0),
};

describe('personOf', () => {
  it('reads the lead of every lead-carrying record', () => {
    const assignment: QueueAssignment = {
      enriched: enrichedLeadFixture(),
      rule_set_id: 'default',
      rule_set_version: '1',
      queue_group: 'sales',
      matched_at: 0,
      held_until: 0,
    };
    const check: Omit<ContactCheck, 'forget'> = {
      contact_key: 'email:x',
      keys: [],
      hop: 0,
      enriched: enrichedLeadFixture(),
      routed: null,
    };
    for (const [name, value] of Object.entries({
      RawLead: rawLeadFixture(),
      NormalizedLead: normalizedLeadFixture(),
      EnrichedLead: enrichedLeadFixture(),
      RoutedLead: routedLeadFixture(),
      QueueAssignment: assignment,
      ContactCheck: check,
    })) {
      assert.deepEqual(personOf(value), ada, name);
    }
  });

  it("takes a raw lead's email from its attributes where the normalizer does", () => {
    const raw = rawLeadFixture({ email: null, attributes: { 'Email Address': 'ada@x.io' } });
    assert.equal(personOf(raw)?.email, 'ada@x.io');
  });

  it('reads the lead id of an owner-only contact check', () => {
    const check: Omit<ContactCheck, 'forget'> = {
      contact_key: 'email:x',
      keys: [],
      hop: 1,
      enriched: null,
      routed: { lead_id: 'lead-9', owner: 'alice' },
    };
    assert.deepEqual(personOf(check), { leadId: 'lead-9', email: null, receivedAtMs: null });
  });

  it('reads the lead id (and receive time) of outcomes, attempts and dead letters', () => {
    const outcome = { lead_id: 'l-1', received_at: 5, status: 'DELIVERED' } as DeliveryOutcome;
    const attempt = { lead_id: 'l-2', at: 9, answer: 'DELIVERED' } as DeliveryAttempt;
    const dead = { lead_id: 'l-3', value: null, headers: {}, stage: 'x' } as DeadLetter;
    assert.deepEqual(personOf(outcome), { leadId: 'l-1', email: null, receivedAtMs: 5 });
    assert.deepEqual(personOf(attempt), { leadId: 'l-2', email: null, receivedAtMs: null });
    assert.deepEqual(personOf(dead), { leadId: 'l-3', email: null, receivedAtMs: null });
  });

  it('names the lead a reference will be fetched as', () => {
    const reference: SourceLeadReference = {
      platform: 'meta',
      source: 'meta-lead-ads',
      platform_lead_id: '123',
      received_at: 1,
      attributes: {},
    };
    const fetched = captureLead(
      metaLeadInput(metaGraphLead('123'), reference, PLATFORM_DEFAULT_FIELDS.meta),
      {
        source: reference.source,
        now: reference.received_at,
        channel: 'http',
      },
    );
    assert.ok(fetched.ok);
    assert.deepEqual(personOf(reference), {
      leadId: fetched.value.lead_id,
      email: null,
      receivedAtMs: 1,
    });
  });

  it('knows nobody in an erasure request, so the stages that carry one out never skip it', () => {
    const byLead = erasureRequestFor({ leadId: 'lead-1', now: 1 });
    const byEmail = erasureRequestFor({ email: 'ada@x.io', now: 1 });
    assert.equal(personOf(byLead), null);
    assert.equal(personOf(byEmail), null);
    const sut = new SuppressionList();
    sut.add(byLead);
    assert.equal(sut.suppresses(personOf(byLead)), false);
  });

  it('knows nobody in a dead letter without a lead, or no record', () => {
    assert.equal(personOf({ lead_id: null, value: null } as unknown as DeadLetter), null);
    assert.equal(personOf(null), null);
    assert.equal(personOf('text'), null);
  });
});

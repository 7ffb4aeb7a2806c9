import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { DeadLetter } from '@lead-router/schemas';
import { normalizedLeadFixture, rawLeadFixture } from '@lead-router/testing';
import {
  attemptedEvent,
  capturedEvent,
  deadLetteredEvent,
  normalizedEvent,
} from './lead-trace.summary';

const raw = rawLeadFixture({
  lead_id: 'lead-1',
  source_lead_id: null,
  received_at: 1_000,
  email: 'jane@acme.io',
  phone: '+49 151 23456789',
  first_name: 'Jane',
  company: 'Acme',
});

const normalized = normalizedLeadFixture({
  ...raw,
  phone: '+4915123456789',
  phone_country: 'DE',
  normalized_at: 1_010,
  issues: [],
});

const dead = (overrides: Partial<DeadLetter>): DeadLetter => ({
  stage: 'normalizer',
  topic: 'leads.raw',
  partition: 0,
  offset: '7',
  key: null,
  value: null,
  headers: {},
  lead_id: null,
  error_code: 'no_contact',
  error: 'neither email nor phone',
  attempts: 1,
  failed_at: 2_000,
  ...overrides,
});

describe('trace events', () => {
  it('keeps only whether a raw lead had contact fields, never their values', () => {
    const sut = capturedEvent(raw);
    assert.deepEqual(sut, {
      leadId: 'lead-1',
      stage: 'captured',
      at: 1_000,
      summary: {
        source: 'web-form',
        channel: 'http',
        source_lead_id: null,
        has_email: true,
        has_phone: true,
        has_name: true,
        has_company: true,
        attributes: 1,
      },
    });
    const text = JSON.stringify(sut);
    assert.ok(!text.includes('jane@'), text);
    assert.ok(!text.includes('151'), text);
  });

  it('keeps the domain of a normalized email and the phone country, not the address or number', () => {
    const sut = normalizedEvent(normalized);
    assert.deepEqual(sut.summary, {
      has_email: true,
      has_phone: true,
      email_domain: 'acme.io',
      country: 'DE',
      phone_country: 'DE',
      issues: [],
    });
    const text = JSON.stringify(sut);
    assert.ok(!text.includes('jane'), text);
    assert.ok(!text.includes('4915123456789'), text);
  });

  it('traces a dead letter by its lead id, else by its record key', () => {
    assert.equal(deadLetteredEvent(dead({ lead_id: 'lead-2' }))?.leadId, 'lead-2');
    assert.equal(deadLetteredEvent(dead({ key: Buffer.from('lead-3') }))?.leadId, 'lead-3');
  });

  it('gives no event for a dead letter with neither lead id nor key', () => {
    assert.equal(deadLetteredEvent(dead({})), null);
    assert.equal(deadLetteredEvent(dead({ key: Buffer.alloc(0) })), null);
  });

  it('keeps a delivery attempt’s answer, status, message and wait, at the time it was made', () => {
    const sut = attemptedEvent({
      lead_id: 'lead-1',
      source: 'web-form',
      destination_id: 'hub',
      destination_type: 'hubspot',
      attempt: 1,
      answer: 'RETRY',
      sent: true,
      http_status: 503,
      message: 'HubSpot HTTP 503: injected server failure',
      external_id: null,
      next: 'RETRY',
      next_due_at: 12_000,
      retry_topic: 'sink-hubspot.retry.10s',
      batch_size: 100,
      duration_ms: 15,
      at: 2_000,
    });
    assert.deepEqual(sut, {
      leadId: 'lead-1',
      stage: 'attempted',
      at: 2_000,
      summary: {
        destination_id: 'hub',
        destination_type: 'hubspot',
        attempt: 1,
        answer: 'RETRY',
        sent: true,
        http_status: 503,
        message: 'HubSpot HTTP 503: injected server failure',
        external_id: null,
        next: 'RETRY',
        next_due_at: 12_000,
        retry_topic: 'sink-hubspot.retry.10s',
        batch_size: 100,
        duration_ms: 15,
      },
    });
  });
});

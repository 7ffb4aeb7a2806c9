import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import { deliveryOutcome } from './delivery-outcome.builder';

describe('deliveryOutcome', () => {
  const sut = deliveryOutcome;

  it('records a delivery with its speed-to-lead', () => {
    const routed = routedLeadFixture();
    assert.deepEqual(
      sut({
        routed,
        destination: destinationFixture(),
        deliveryId: 'msg_1',
        status: 'DELIVERED',
        attempts: 2,
        httpStatus: 202,
        externalId: 'crm-9',
        completedAt: routed.lead.received_at + 850,
      }),
      {
        lead_id: '7d1c9c1e-0f5e-4c55-9b8e-2d7f0c6f6a11',
        source: 'web-form',
        destination_id: 'demo-inbox',
        destination_type: 'webhook',
        status: 'DELIVERED',
        delivery_id: 'msg_1',
        attempts: 2,
        http_status: 202,
        external_id: 'crm-9',
        error: null,
        rule_set_version: '2026-11-25.1',
        owner_id: '005A1',
        received_at: routed.lead.received_at,
        completed_at: routed.lead.received_at + 850,
        speed_to_lead_ms: 850,
      },
    );
  });

  it('records a failure with its error', () => {
    const routed = routedLeadFixture();
    const outcome = sut({
      routed,
      destination: destinationFixture(),
      deliveryId: 'msg_1',
      status: 'FAILED',
      attempts: 1,
      httpStatus: 404,
      error: 'HTTP 404 from demo-inbox',
      completedAt: routed.lead.received_at + 10,
    });
    assert.equal(outcome.status, 'FAILED');
    assert.equal(outcome.error, 'HTTP 404 from demo-inbox');
    assert.equal(outcome.external_id, null);
  });
});

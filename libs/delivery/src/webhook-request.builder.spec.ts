import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import fc from 'fast-check';
import { destinationFixture, routedLeadFixture } from '@lead-router/testing';
import { Webhook } from 'standardwebhooks';
import { deliveryIdFor } from './delivery-id.generator';
import { DestinationError } from './destination.error';
import { encodedWebhookRequest, signWebhook, webhookRequest } from './webhook-request.builder';
import { verifyWebhook } from './webhook.verifier';

const keyBytes = Buffer.from('lead-router-test-secret-32-bytes!');
const secret = `whsec_${keyBytes.toString('base64')}`;

describe('webhookRequest', () => {
  const sut = webhookRequest;

  it('signs `${id}.${timestamp}.${body}` with HMAC-SHA256 of the secret bytes, as the spec says', () => {
    const request = sut(routedLeadFixture(), destinationFixture(), secret, 1_764_072_000);
    const expected = createHmac('sha256', keyBytes)
      .update(`${request.deliveryId}.1764072000.${request.body}`)
      .digest('base64');
    assert.deepEqual(request.headers, {
      'content-type': 'application/json',
      'webhook-id': deliveryIdFor('7d1c9c1e-0f5e-4c55-9b8e-2d7f0c6f6a11', 'demo-inbox'),
      'webhook-timestamp': '1764072000',
      'webhook-signature': `v1,${expected}`,
    });
    assert.equal(request.url, 'http://localhost:8090/inbox');
    assert.equal(request.deliveryId, request.headers['webhook-id']);
  });

  it('signs byte for byte as the standardwebhooks package does, for a non-ASCII body too', () => {
    const lead = routedLeadFixture();
    const routed = { ...lead, lead: { ...lead.lead, first_name: 'Zoë 李', message: 'naïve ✓' } };
    const request = sut(routed, destinationFixture(), secret, 1_764_072_000);
    const reference = new Webhook(secret).sign(
      request.deliveryId,
      new Date(1_764_072_000 * 1000),
      request.body,
    );
    assert.equal(request.headers['webhook-signature'], reference);
    assert.equal(
      signWebhook(secret, 'msg_1', 1, '{}'),
      new Webhook(secret).sign('msg_1', new Date(1000), '{}'),
    );
  });

  it('sends the lead.routed envelope', () => {
    const body = JSON.parse(sut(routedLeadFixture(), destinationFixture(), secret, 1).body);
    assert.equal(body.type, 'lead.routed');
    assert.equal(body.timestamp, '2026-11-25T12:00:00.040Z');
    assert.equal(body.data.lead_id, '7d1c9c1e-0f5e-4c55-9b8e-2d7f0c6f6a11');
    assert.equal(body.data.received_at, '2026-11-25T12:00:00.000Z');
    assert.equal(body.data.email, 'ada@analytical-engines.com');
    assert.equal(body.data.owner_id, '005A1');
    assert.equal(body.data.queue, 'sales');
    assert.equal(body.data.company_domain, 'analytical-engines.com');
    assert.equal(body.data.phone_type, 'fixed_line');
    assert.deepEqual(body.data.utm, { source: 'google' });
    assert.equal(body.data.submitted_at, null);
    assert.deepEqual(body.data.enrichment, {
      email_domain: 'analytical-engines.com',
      company_domain: 'analytical-engines.com',
      free_mail: false,
      disposable: false,
      role_address: false,
      ip_country: null,
      ip_region: null,
      firmographics: null,
      score: 0,
      account: null,
      duplicate_of: null,
    });
    assert.deepEqual(body.data.decision, {
      rule_set_version: '2026-11-25.1',
      matched_rule: 'enterprise-emea',
      reason: 'lead.country "DE" in ["DE","FR","GB"]',
      fallback: false,
      distribution: {
        method: 'round_robin',
        position: 4,
        members: ['alice', 'bob'],
        chosen_member: 'alice',
        skipped: [],
        weights: {},
        loads: {},
        overflowed_from: [],
      },
    });
  });

  it('sends the same body and id on a retry; only the timestamp and signature change', () => {
    const first = sut(routedLeadFixture(), destinationFixture(), secret, 100);
    const retry = sut(routedLeadFixture(), destinationFixture(), secret, 160);
    assert.equal(retry.body, first.body);
    assert.equal(retry.deliveryId, first.deliveryId);
    assert.notEqual(retry.headers['webhook-signature'], first.headers['webhook-signature']);
  });

  it('refuses a destination without a url', () => {
    assert.throws(
      () => sut(routedLeadFixture(), destinationFixture({ url: null }), secret, 1),
      /destination demo-inbox has no url/,
    );
  });

  it('refuses it with a final error that names the destination', () => {
    assert.throws(
      () => sut(routedLeadFixture(), destinationFixture({ url: null }), secret, 1),
      (err: unknown) => {
        assert.ok(err instanceof DestinationError);
        assert.equal(err.code, 'destination_without_url');
        assert.equal(err.retriable, false);
        assert.deepEqual(err.context, { destination: 'demo-inbox' });
        return true;
      },
    );
  });
});

describe('verifyWebhook', () => {
  const sut = verifyWebhook;
  // The package checks the timestamp against the system clock, so sign for the current time.
  const nowSeconds = Math.floor(Date.now() / 1000);

  it('accepts what webhookRequest signed and returns the body', () => {
    const request = webhookRequest(routedLeadFixture(), destinationFixture(), secret, nowSeconds);
    const result = sut(secret, request.headers, request.body);
    assert.ok(result.ok);
    assert.equal((result.value as { type: string }).type, 'lead.routed');
  });

  it('rejects a tampered body, a wrong secret and a stale timestamp', () => {
    const request = webhookRequest(routedLeadFixture(), destinationFixture(), secret, nowSeconds);
    assert.deepEqual(sut(secret, request.headers, request.body.replace('Ada', 'Eve')), {
      ok: false,
      error: 'No matching signature found',
    });
    const other = `whsec_${Buffer.from('another-secret-of-32-bytes-long!').toString('base64')}`;
    assert.equal(sut(other, request.headers, request.body).ok, false);
    const stale = webhookRequest(
      routedLeadFixture(),
      destinationFixture(),
      secret,
      nowSeconds - 600,
    );
    assert.deepEqual(sut(secret, stale.headers, stale.body), {
      ok: false,
      error: 'Message timestamp too old',
    });
  });
});

describe('signWebhook, against the standardwebhooks package', () => {
  const sut = signWebhook;

  it('signs any body, id, timestamp and secret as the package does, text or bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 64 }),
        fc.string({ minLength: 1, maxLength: 40 }),
        fc.integer({ min: 0, max: 4_102_444_800 }),
        fc.oneof(fc.string({ unit: 'binary', maxLength: 2000 }), fc.json()),
        (keyBytes, deliveryId, seconds, text) => {
          const secret = `whsec_${Buffer.from(keyBytes).toString('base64')}`;
          const reference = new Webhook(secret).sign(deliveryId, new Date(seconds * 1000), text);
          assert.equal(sut(secret, deliveryId, seconds, text), reference);
          assert.equal(sut(secret, deliveryId, seconds, Buffer.from(text, 'utf8')), reference);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('encodedWebhookRequest', () => {
  const sut = encodedWebhookRequest;

  it('is webhookRequest with the body as the UTF-8 bytes that were signed', () => {
    const lead = routedLeadFixture();
    const routed = { ...lead, lead: { ...lead.lead, first_name: 'Zoë 李' } };
    const text = webhookRequest(routed, destinationFixture(), secret, 1_764_072_000);
    const bytes = sut(routed, destinationFixture(), secret, 1_764_072_000);
    assert.ok(Buffer.isBuffer(bytes.body));
    assert.deepEqual(bytes.body, Buffer.from(text.body, 'utf8'));
    assert.deepEqual(bytes.headers, text.headers);
    assert.equal(bytes.deliveryId, text.deliveryId);
    const nowSeconds = Math.floor(Date.now() / 1000);
    const now = sut(routed, destinationFixture(), secret, nowSeconds);
    assert.ok(verifyWebhook(secret, now.headers, now.body).ok);
  });
});

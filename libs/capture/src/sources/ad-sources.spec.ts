import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, it } from 'node:test';
import {
  googleLeadWebhook,
  linkedinFormResponse,
  linkedinLeadForm,
  linkedinLeadNotification,
  metaGraphLead,
  metaLeadgenNotification,
} from '@lead-router/testing';
import { captureLead } from '../lead.capturer';
import { googleKeyValid, googleLeadInput } from './google.adapter';
import {
  linkedinChallenge,
  linkedinLeadInput,
  linkedinLeadReferences,
  linkedinSignatureValid,
} from './linkedin.adapter';
import {
  metaHandshake,
  metaLeadInput,
  metaLeadReferences,
  metaSignatureValid,
} from './meta.adapter';
import { mergeMappings } from './field.mapping';
import { PLATFORM_DEFAULT_FIELDS } from './platform.defaults';
import { parseSourcesConfig } from './sources.config';

const hmac = (secret: string, body: string | Buffer) =>
  createHmac('sha256', secret).update(body).digest('hex');
const ctx = { source: 'ads', now: 1_764_590_401_000 };

describe('Meta Lead Ads adapter', () => {
  it('echoes the challenge of a subscription with our verify token, and nothing otherwise', () => {
    const query = {
      'hub.mode': 'subscribe',
      'hub.verify_token': 'vt',
      'hub.challenge': '1158201444',
    };
    assert.equal(metaHandshake(query, 'vt'), '1158201444');
    assert.equal(metaHandshake({ ...query, 'hub.verify_token': 'other' }, 'vt'), null);
    assert.equal(metaHandshake({ ...query, 'hub.mode': 'unsubscribe' }, 'vt'), null);
  });

  it('checks X-Hub-Signature-256 over the raw bytes, not over re-serialized JSON', () => {
    // Meta escapes "/" and non-ASCII in the body it signs; JSON.stringify would not.
    const raw = Buffer.from('{"object":"page","note":"caf\\u00e9 \\/ bar"}');
    const sut = (header: unknown) => metaSignatureValid(raw, header, 'app-secret');
    assert.equal(sut(`sha256=${hmac('app-secret', raw)}`), true);
    assert.equal(
      sut(`sha256=${hmac('app-secret', JSON.stringify(JSON.parse(raw.toString())))}`),
      false,
    );
    assert.equal(sut(`sha256=${hmac('other-secret', raw)}`), false);
    assert.equal(sut(hmac('app-secret', raw)), false);
    assert.equal(sut(undefined), false);
    assert.equal(sut('sha256=zz'), false);
  });

  it('turns each leadgen change into a reference to fetch, with the ids it names', () => {
    const result = metaLeadReferences(metaLeadgenNotification('9001'), ctx);
    assert.ok(result.ok);
    assert.deepEqual(result.value, [
      {
        platform: 'meta',
        source: 'ads',
        platform_lead_id: '9001',
        received_at: ctx.now,
        attributes: {
          leadgen_id: '9001',
          page_id: '110045678901234',
          form_id: '2044556677889900',
          ad_id: '23851234567890123',
          adgroup_id: '23851234567890999',
          created_time: '1764590400',
        },
      },
    ]);
    assert.equal(metaLeadReferences({ nope: 1 }, ctx).ok, false);
  });

  it("maps the Graph API's field_data by the configured keys into a lead", () => {
    const reference = metaLeadReferences(metaLeadgenNotification('9001'), ctx);
    assert.ok(reference.ok);
    const mapping = mergeMappings(PLATFORM_DEFAULT_FIELDS.meta, {
      'how_many_seats_do_you_need?': 'seats',
    });
    const input = metaLeadInput(metaGraphLead('9001'), reference.value[0]!, mapping);
    const lead = captureLead(input, { source: 'ads', now: ctx.now, channel: 'http' });
    assert.ok(lead.ok);
    assert.equal(lead.value.email, 'mara.lindqvist@example.com');
    assert.equal(lead.value.phone, '+46701234567');
    assert.equal(lead.value.company, 'Nordvik AB');
    assert.equal(lead.value.country, 'SE');
    assert.equal(lead.value.source_lead_id, '9001');
    assert.equal(lead.value.attributes['full_name'], 'Mara Lindqvist');
    assert.equal(lead.value.attributes['seats'], '50-100');
    assert.equal(lead.value.attributes['form_id'], '2044556677889900');
    assert.equal(lead.value.attributes['created_time'], '2026-12-01T12:00:00+0000');
  });
});

describe('Google Ads lead form adapter', () => {
  it('accepts the configured google_key only', () => {
    assert.equal(googleKeyValid(googleLeadWebhook('L1', 'k-123'), 'k-123'), true);
    assert.equal(googleKeyValid(googleLeadWebhook('L1', 'k-124'), 'k-123'), false);
    assert.equal(googleKeyValid({ lead_id: 'L1' }, 'k-123'), false);
  });

  it('maps user_column_data by column_id and keeps the ids, the test flag and the time', () => {
    const input = googleLeadInput(
      googleLeadWebhook('L1', 'k', true),
      PLATFORM_DEFAULT_FIELDS.google,
    );
    assert.ok(input.ok);
    const lead = captureLead(input.value, { source: 'gads', now: ctx.now, channel: 'http' });
    assert.ok(lead.ok);
    assert.equal(lead.value.email, 'tomas.ferreira@ferreira-lda.pt');
    assert.equal(lead.value.phone, '+351912345678');
    assert.equal(lead.value.company, 'Ferreira Lda');
    assert.equal(lead.value.source_lead_id, 'L1');
    assert.deepEqual(
      {
        full_name: lead.value.attributes['full_name'],
        gcl_id: lead.value.attributes['gcl_id'],
        campaign_id: lead.value.attributes['campaign_id'],
        form_id: lead.value.attributes['form_id'],
        is_test: lead.value.attributes['is_test'],
        submitted_at: lead.value.attributes['submitted_at'],
        plan_choice: lead.value.attributes['plan_choice'],
      },
      {
        full_name: 'Tomás Ferreira',
        gcl_id: 'EAIaIQobChMI-sample-gclid',
        campaign_id: '20000000002',
        form_id: '40000000001',
        is_test: 'true',
        submitted_at: '2026-12-01T12:00:00Z',
        plan_choice: 'Business',
      },
    );
    assert.equal('google_key' in lead.value.attributes, false);
  });

  it('refuses a payload without a lead id', () => {
    assert.equal(googleLeadInput({ user_column_data: [] }, {}).ok, false);
  });
});

describe('LinkedIn Lead Gen Forms adapter', () => {
  it('answers the validation challenge with the HMAC of the code', () => {
    const code = '890e4665-4dfe-4ab1-b689-ed553bceeed0';
    assert.deepEqual(linkedinChallenge(code, 'client-secret'), {
      challengeCode: code,
      challengeResponse: hmac('client-secret', code),
    });
  });

  it('checks X-LI-Signature over the raw body, with or without the hmacsha256= prefix', () => {
    const raw = Buffer.from(JSON.stringify(linkedinLeadNotification('r1')));
    const sig = hmac('client-secret', raw);
    assert.equal(linkedinSignatureValid(raw, sig, 'client-secret'), true);
    assert.equal(linkedinSignatureValid(raw, `hmacsha256=${sig}`, 'client-secret'), true);
    // The other reading of LinkedIn's page: the prefix hashed in front of the body.
    const prefixed = hmac('client-secret', Buffer.concat([Buffer.from('hmacsha256='), raw]));
    assert.equal(linkedinSignatureValid(raw, `hmacsha256=${prefixed}`, 'client-secret'), true);
    assert.equal(
      linkedinSignatureValid(raw, hmac('client-secret', 'hmacsha256='), 'client-secret'),
      false,
    );
    assert.equal(linkedinSignatureValid(raw, hmac('x', raw), 'client-secret'), false);
    assert.equal(linkedinSignatureValid(raw, undefined, 'client-secret'), false);
  });

  it('references the created form response, and nothing for a deleted one', () => {
    const created = linkedinLeadReferences(linkedinLeadNotification('r1'), ctx);
    assert.ok(created.ok);
    assert.equal(created.value[0]?.platform_lead_id, 'r1');
    assert.equal(
      created.value[0]?.attributes['owner_sponsoredAccount'],
      'urn:li:sponsoredAccount:5123456',
    );
    const deleted = linkedinLeadReferences(
      { ...linkedinLeadNotification('r1'), leadAction: 'DELETED' },
      ctx,
    );
    assert.deepEqual(deleted, { ok: true, value: [] });
  });

  it("maps answers by the form's predefined fields, custom questions by name", () => {
    const reference = linkedinLeadReferences(linkedinLeadNotification('r1'), ctx);
    assert.ok(reference.ok);
    const input = linkedinLeadInput(
      linkedinFormResponse('r1'),
      linkedinLeadForm().content.questions,
      reference.value[0]!,
      PLATFORM_DEFAULT_FIELDS.linkedin,
    );
    const lead = captureLead(input, { source: 'li', now: ctx.now, channel: 'http' });
    assert.ok(lead.ok);
    assert.equal(lead.value.first_name, 'Inès');
    assert.equal(lead.value.last_name, 'Dubois');
    assert.equal(lead.value.email, 'ines.dubois@atelier-dubois.fr');
    assert.equal(lead.value.company, 'Atelier Dubois SAS');
    assert.equal(lead.value.attributes['company_size'], '51-200');
    assert.equal(lead.value.attributes['timeline'], 'Q1 2027');
    assert.equal(lead.value.attributes['is_test'], 'false');
    assert.equal(lead.value.attributes['submitted_at'], '2025-12-01T12:00:00.000Z');
  });
});

describe('parseSourcesConfig', () => {
  it('reads sources with secret references and merges their fields over the defaults', () => {
    const result = parseSourcesConfig(`
sources:
  fb:
    platform: meta
    app_secret: { env: META_APP_SECRET }
    verify_token: { file: /run/secrets/meta_verify }
    access_token: { env: META_TOKEN }
    rate_limit: { max: 100 }
    fields: { "Budget?": budget }
`);
    assert.ok(result.ok);
    const fb = result.value.get('fb');
    assert.equal(fb?.platform, 'meta');
    assert.equal(fb?.platform === 'meta' && fb.graph_url, 'https://graph.facebook.com');
    assert.deepEqual(fb?.rate_limit, { max: 100, window_seconds: 60 });
    assert.equal(fb?.fields['budget?'], 'budget');
    assert.equal(fb?.fields['phone_number'], 'phone');
  });

  it('reports every problem at once, and refuses a secret written in plain text', () => {
    const result = parseSourcesConfig(`
sources:
  g:
    platform: google
    google_key: "plain-text-key"
  l:
    platform: linkedin
    client_secret: { env: S }
`);
    assert.ok(!result.ok);
    assert.equal(result.error.length, 2);
    assert.match(result.error.join('\n'), /sources\.g\.google_key/);
    assert.match(result.error.join('\n'), /sources\.l\.access_token/);
  });
});

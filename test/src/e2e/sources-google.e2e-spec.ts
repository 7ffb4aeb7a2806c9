import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { googleLeadWebhook } from '@lead-router/testing';
import type { Pipeline } from './pipeline.fixture';
import {
  SECRETS,
  callWebhook,
  inboxLead,
  startSourcesPipeline,
  writtenByIngest,
} from './sources.fixture';

/**
 * Google Ads lead form webhooks end to end: the lead comes whole in the POST, checked by its
 * google_key, and is routed and delivered to the demo inbox with its columns mapped. A rule
 * tests the test-lead flag.
 */
describe('e2e: Google Ads lead form source', () => {
  let pipeline: Pipeline;
  let webhook: string;

  before(async () => {
    pipeline = await startSourcesPipeline(
      'src-google',
      `
sources:
  google-ads:
    platform: google
    google_key: { env: GOOGLE_ADS_KEY }
    fields:
      plan_choice: plan
  google-ads-limited:
    platform: google
    google_key: { env: GOOGLE_ADS_KEY }
    rate_limit: { max: 2, window_seconds: 60 }
`,
      {
        rules: (yaml) =>
          yaml.replace(
            '\nrules:\n',
            `\nrules:\n  - name: google-test-leads\n    when: { path: lead.attributes.is_test, eq: 'true' }\n    queue: self-serve\n    destinations: [demo-inbox]\n`,
          ),
      },
    );
    webhook = `${pipeline.ingestUrl}/v1/sources/google-ads`;
  });
  after(() => pipeline?.close());

  const send = (leadId: string, key: string, isTest = false, url = webhook) =>
    callWebhook(url, { body: JSON.stringify(googleLeadWebhook(leadId, key, isTest)) });

  it('delivers a lead with the right google_key, its columns mapped and its ids kept', async () => {
    const answer = await send('TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ', SECRETS.GOOGLE_ADS_KEY);
    assert.equal(answer.status, 200);
    assert.match(answer.text, /^\{"lead_ids":\["[0-9a-f-]{36}"\]\}$/);

    const lead = await inboxLead(pipeline, 'google-ads', 'TeSter-123-ABCDEFGHIJKLMNOPQRSTUVWXYZ');
    assert.equal(lead['email'], 'tomas.ferreira@ferreira-lda.pt');
    assert.equal(lead['phone'], '+351912345678');
    assert.equal(lead['first_name'], 'Tomás');
    assert.equal(lead['last_name'], 'Ferreira');
    assert.equal(lead['company'], 'Ferreira Lda');
    assert.equal(lead['country'], 'PT');
    assert.deepEqual(
      {
        gcl_id: lead.attributes['gcl_id'],
        campaign_id: lead.attributes['campaign_id'],
        adgroup_id: lead.attributes['adgroup_id'],
        creative_id: lead.attributes['creative_id'],
        form_id: lead.attributes['form_id'],
        api_version: lead.attributes['api_version'],
        plan: lead.attributes['plan'],
        is_test: lead.attributes['is_test'],
      },
      {
        gcl_id: 'EAIaIQobChMI-sample-gclid',
        campaign_id: '20000000002',
        adgroup_id: '30000000003',
        creative_id: '50000000004',
        form_id: '40000000001',
        api_version: '1.0',
        plan: 'Business',
        is_test: 'false',
      },
    );
    assert.equal('google_key' in lead.attributes, false, 'the key is not passed on');
    // PT is in no segment of the demo rules: the rule set's fallback takes it.
    assert.equal(lead.decision['fallback'], true);
  });

  it('marks a test lead, and a rule can route on it', async () => {
    assert.equal((await send('test-lead-1', SECRETS.GOOGLE_ADS_KEY, true)).status, 200);
    const lead = await inboxLead(pipeline, 'google-ads', 'test-lead-1');
    assert.equal(lead.attributes['is_test'], 'true');
    assert.equal(lead.decision['matched_rule'], 'google-test-leads');
  });

  it('refuses a wrong or missing google_key with 401 and writes nothing to leads.raw', async () => {
    const wrong = await send('bad-key-1', 'not-the-key');
    const payload = googleLeadWebhook('bad-key-2', '') as Record<string, unknown>;
    delete payload['google_key'];
    const missing = await callWebhook(webhook, { body: JSON.stringify(payload) });
    assert.deepEqual(
      [wrong.status, wrong.text],
      [
        401,
        '{"error":{"code":"invalid_google_key","message":"google_key does not match the source"}}',
      ],
    );
    assert.equal(missing.status, 401);
    const { raw } = await writtenByIngest(pipeline);
    assert.deepEqual(
      raw.filter((r) => ['bad-key-1', 'bad-key-2'].includes(r.source_lead_id ?? '')),
      [],
    );
    assert.ok(
      raw.some((r) => r.source_lead_id === 'test-lead-1'),
      'the accepted ones are there',
    );
  });

  it("answers 429 with Retry-After past the source's own limit, other sources unaffected", async () => {
    const limited = `${pipeline.ingestUrl}/v1/sources/google-ads-limited`;
    const answers = [];
    for (const id of ['lim-1', 'lim-2', 'lim-3']) {
      answers.push(await send(id, SECRETS.GOOGLE_ADS_KEY, false, limited));
    }
    assert.deepEqual(
      answers.map((a) => a.status),
      [200, 200, 429],
    );
    assert.match(answers[2]!.text, /"code":"rate_limited"/);
    const retryAfter = await fetch(limited, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(googleLeadWebhook('lim-4', SECRETS.GOOGLE_ADS_KEY)),
    });
    assert.equal(retryAfter.status, 429);
    assert.ok(Number(retryAfter.headers.get('retry-after')) > 0);
    assert.equal((await send('other-1', SECRETS.GOOGLE_ADS_KEY)).status, 200);
    const metrics = await (await fetch(`${pipeline.ingestUrl}/metrics`)).text();
    assert.match(
      metrics,
      /lead_router_ingest_requests_total\{source="google-ads-limited",route="\/v1\/sources\/:source",status="429"[^}]*\} 2\n/,
    );
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeLinkedIn, type FakeLinkedIn } from '@lead-router/crm-fakes';
import {
  linkedinFormResponse,
  linkedinLeadForm,
  linkedinLeadNotification,
  waitFor,
} from '@lead-router/testing';
import type { Pipeline } from './pipeline.fixture';
import {
  SECRETS,
  callWebhook,
  hmacHex,
  inboxLead,
  startSourcesPipeline,
  writtenByIngest,
} from './sources.fixture';

/**
 * LinkedIn Lead Gen Forms end to end: the validation challenge and signed lead notifications to
 * ingest as a process, the form response and its form read from a fake Lead Sync API by
 * source-fetcher, routed and delivered to the demo inbox with the answers mapped.
 */
describe('e2e: LinkedIn Lead Gen Forms source', () => {
  let pipeline: Pipeline;
  let api: FakeLinkedIn;
  let webhook: string;

  before(async () => {
    api = await startFakeLinkedIn({
      accessToken: SECRETS.LINKEDIN_ACCESS_TOKEN,
      forms: [linkedinLeadForm()],
    });
    pipeline = await startSourcesPipeline(
      'src-linkedin',
      `
sources:
  linkedin-leads:
    platform: linkedin
    client_secret: { env: LINKEDIN_CLIENT_SECRET }
    access_token: { env: LINKEDIN_ACCESS_TOKEN }
    api_url: ${api.url}
    api_version: '202601'
    fetch_budget: { requests: 1000, per_seconds: 60 }
    fields:
      timeline: buying_timeline
`,
    );
    webhook = `${pipeline.ingestUrl}/v1/sources/linkedin-leads`;
  });
  after(async () => {
    await pipeline?.close();
    await api?.close();
  });

  const notify = (responseId: string, signature: (body: string) => string | undefined) => {
    const body = JSON.stringify(linkedinLeadNotification(responseId));
    const sig = signature(body);
    return callWebhook(webhook, {
      body,
      headers: sig === undefined ? {} : { 'x-li-signature': sig },
    });
  };
  const signed = (body: string) => hmacHex(SECRETS.LINKEDIN_CLIENT_SECRET, body);

  it("answers LinkedIn's validation challenge with the HMAC of the code", async () => {
    const code = '890e4665-4dfe-4ab1-b689-ed553bceeed0';
    const answer = await callWebhook(`${webhook}?challengeCode=${code}`, { method: 'GET' });
    assert.equal(answer.status, 200);
    assert.deepEqual(JSON.parse(answer.text), {
      challengeCode: code,
      challengeResponse: hmacHex(SECRETS.LINKEDIN_CLIENT_SECRET, code),
    });
  });

  it('delivers a signed lead notification as a routed lead with the mapped answers', async () => {
    api.addResponse(linkedinFormResponse('li-resp-1', 'ines.dubois@atelier-dubois.fr'));
    const answer = await notify('li-resp-1', signed);
    assert.deepEqual([answer.status, answer.text], [200, '{"accepted":1}']);

    const lead = await inboxLead(pipeline, 'linkedin-leads', 'li-resp-1');
    assert.equal(lead['email'], 'ines.dubois@atelier-dubois.fr');
    assert.equal(lead['first_name'], 'Inès');
    assert.equal(lead['last_name'], 'Dubois');
    assert.equal(lead['company'], 'Atelier Dubois SAS');
    assert.equal(lead.attributes['company_size'], '51-200');
    assert.equal(lead.attributes['buying_timeline'], 'Q1 2027');
    assert.equal(lead.attributes['is_test'], 'false');
    assert.equal(lead.attributes['campaign'], 'urn:li:sponsoredCampaign:612345');
    assert.equal(lead.attributes['owner_sponsoredAccount'], 'urn:li:sponsoredAccount:5123456');
  });

  it('refuses a wrong or missing X-LI-Signature with 401 and writes nothing to Kafka', async () => {
    const wrong = await notify('li-resp-2', (body) => hmacHex('not-the-secret', body));
    const missing = await notify('li-resp-3', () => undefined);
    assert.equal(wrong.status, 401);
    assert.equal(missing.status, 401);
    const { raw, references } = await writtenByIngest(pipeline);
    const ids = ['li-resp-2', 'li-resp-3'];
    assert.deepEqual(
      references.filter((r) => ids.includes(r.platform_lead_id)),
      [],
    );
    assert.deepEqual(
      raw.filter((r) => ids.includes(r.source_lead_id ?? '')),
      [],
    );
  });

  it('answers at once while the API is slow and throttling, and the lead still arrives', async () => {
    api.addResponse(linkedinFormResponse('li-resp-4', 'paul.martin@atelier-dubois.fr'));
    api.control.slow(1500);
    api.control.throttle(2500);
    const answer = await notify('li-resp-4', signed);
    assert.equal(answer.status, 200);
    assert.ok(answer.ms < 1500 / 3, `answered in ${answer.ms.toFixed(0)} ms`);

    const lead = await inboxLead(pipeline, 'linkedin-leads', 'li-resp-4');
    assert.equal(lead['email'], 'paul.martin@atelier-dubois.fr');
    const reads = api.requests().filter((r) => r.path === '/rest/leadFormResponses/li-resp-4');
    assert.ok(
      reads.some((r) => r.status === 429),
      'throttled at first',
    );
    assert.equal(reads.at(-1)?.status, 200);
    assert.ok(reads.at(-1)!.durationMs >= 1400, 'the answer that counted was slow');
    await api.control.heal();
    await waitFor(
      async () => {
        const { raw } = await writtenByIngest(pipeline);
        return raw.filter((r) => r.source_lead_id === 'li-resp-4').length === 1;
      },
      { timeoutMs: 10_000, what: 'one raw lead for li-resp-4' },
    );
    assert.deepEqual(api.violations(), []);
  });
});

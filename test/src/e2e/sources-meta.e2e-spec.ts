import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startFakeMetaGraph, type FakeMetaGraph } from '@lead-router/crm-fakes';
import type { DeadLetter, SourceLeadReference } from '@lead-router/schemas';
import { metaGraphLead, metaLeadgenNotification, readTopic, waitFor } from '@lead-router/testing';
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
 * Meta Lead Ads end to end: Meta's handshake and signed leadgen notifications to ingest as a
 * process, the lead read from a fake Graph API by source-fetcher, routed and delivered to the
 * demo inbox with the form's answers mapped.
 */
describe('e2e: Meta Lead Ads source', () => {
  let pipeline: Pipeline;
  let graph: FakeMetaGraph;
  let webhook: string;

  before(async () => {
    graph = await startFakeMetaGraph({
      accessToken: SECRETS.META_ACCESS_TOKEN,
      appSecret: SECRETS.META_APP_SECRET,
    });
    pipeline = await startSourcesPipeline(
      'src-meta',
      `
sources:
  meta-lead-ads:
    platform: meta
    app_secret: { env: META_APP_SECRET }
    verify_token: { env: META_VERIFY_TOKEN }
    access_token: { env: META_ACCESS_TOKEN }
    graph_url: ${graph.url}
    graph_version: v21.0
    fetch_budget: { requests: 1000, per_seconds: 60 }
    fields:
      how_many_seats_do_you_need?: seats
`,
    );
    webhook = `${pipeline.ingestUrl}/v1/sources/meta-lead-ads`;
  });
  after(async () => {
    await pipeline?.close();
    await graph?.close();
  });

  const notify = (leadgenId: string, sign: (body: string) => Record<string, string>) => {
    const body = JSON.stringify(metaLeadgenNotification(leadgenId));
    return callWebhook(webhook, { body, headers: sign(body) });
  };
  const signed = (body: string) => ({
    'x-hub-signature-256': `sha256=${hmacHex(SECRETS.META_APP_SECRET, body)}`,
  });

  it("answers Meta's subscription handshake with the challenge, only for our verify token", async () => {
    const query = (token: string) =>
      `?hub.mode=subscribe&hub.verify_token=${token}&hub.challenge=1904711311`;
    const ok = await callWebhook(`${webhook}${query(SECRETS.META_VERIFY_TOKEN)}`, {
      method: 'GET',
    });
    assert.deepEqual([ok.status, ok.text], [200, '1904711311']);
    const refused = await callWebhook(`${webhook}${query('guessed')}`, { method: 'GET' });
    assert.equal(refused.status, 403);
  });

  it('delivers a signed leadgen notification as a routed lead with the mapped answers', async () => {
    graph.addLead(metaGraphLead('880001', 'mara.lindqvist@nordvik.se'));
    const answer = await notify('880001', signed);
    assert.deepEqual([answer.status, answer.text], [200, '{"accepted":1}']);

    const lead = await inboxLead(pipeline, 'meta-lead-ads', '880001');
    assert.equal(lead['email'], 'mara.lindqvist@nordvik.se');
    assert.equal(lead['phone'], '+46701234567');
    assert.equal(lead['first_name'], 'Mara');
    assert.equal(lead['last_name'], 'Lindqvist');
    assert.equal(lead['company'], 'Nordvik AB');
    assert.equal(lead['country'], 'SE');
    assert.equal(lead.attributes['seats'], '50-100');
    assert.equal(lead.attributes['form_id'], '2044556677889900');
    assert.equal(lead.attributes['page_id'], '110045678901234');
    assert.equal(lead.decision['matched_rule'], 'emea-business');
  });

  it('refuses a wrong or missing signature with 401 and writes nothing to Kafka', async () => {
    const wrong = await notify('880002', (body) => ({
      'x-hub-signature-256': `sha256=${hmacHex('not-the-app-secret', body)}`,
    }));
    const missing = await notify('880003', () => ({}));
    assert.equal(wrong.status, 401);
    assert.equal(missing.status, 401);
    assert.match(wrong.text, /"code":"invalid_signature"/);
    // ingest answers only after Kafka acknowledged a write, so anything written is readable now.
    const { raw, references } = await writtenByIngest(pipeline);
    const ids = ['880002', '880003'];
    assert.deepEqual(
      references.filter((r) => ids.includes(r.platform_lead_id)),
      [],
    );
    assert.deepEqual(
      raw.filter((r) => ids.includes(r.source_lead_id ?? '')),
      [],
    );
    assert.ok(
      references.some((r) => r.platform_lead_id === '880001'),
      'the signed one is there',
    );
  });

  it('answers at once while the Graph API is slow and failing, and the lead still arrives', async () => {
    graph.addLead(metaGraphLead('880004', 'jonas.berg@nordvik.se'));
    graph.control.slow(1500);
    graph.control.failNext(2, 500);
    const answer = await notify('880004', signed);
    assert.equal(answer.status, 200);
    assert.ok(answer.ms < 1500 / 3, `answered in ${answer.ms.toFixed(0)} ms`);

    const lead = await inboxLead(pipeline, 'meta-lead-ads', '880004');
    assert.equal(lead['email'], 'jonas.berg@nordvik.se');
    // Two refusals (500, transient) then the lead, each after the fake's delay.
    const reads = graph.requests().filter((r) => r.path === '/v21.0/880004');
    assert.deepEqual(
      reads.map((r) => r.status),
      [500, 500, 200],
    );
    assert.ok(reads.every((r) => r.durationMs >= 1400));
    await graph.control.heal();
    // One lead, however often it was fetched: its id comes from the leadgen id.
    await waitFor(
      async () => {
        const { raw } = await writtenByIngest(pipeline);
        return raw.filter((r) => r.source_lead_id === '880004').length === 1;
      },
      { timeoutMs: 10_000, what: 'one raw lead for 880004' },
    );
  });

  it('dead-letters a lead the Graph API does not have, with the reference as sent', async () => {
    const answer = await notify('880404', signed);
    assert.equal(answer.status, 200);
    const dead = await waitFor(
      async () => {
        const records = await readTopic<DeadLetter>(
          pipeline.kafka,
          pipeline.codec,
          pipeline.topics.dlq,
          'DeadLetter',
        );
        return records.map((r) => r.value).find((d) => d.stage === 'source-fetcher');
      },
      { timeoutMs: 30_000, what: 'the dead letter of 880404' },
    );
    assert.equal(dead.error_code, 'lead_not_fetched');
    assert.match(dead.error, /HTTP 400: Unsupported get request\. Object with ID '880404'/);
    assert.equal(dead.topic, pipeline.topics.sourcesFetch);
    assert.equal(dead.key?.toString(), 'meta:880404');
    const reference = await pipeline.codec.decode<SourceLeadReference>(
      dead.value!,
      'SourceLeadReference',
    );
    assert.equal(reference.platform_lead_id, '880404');
    assert.equal(reference.source, 'meta-lead-ads');
  });
});

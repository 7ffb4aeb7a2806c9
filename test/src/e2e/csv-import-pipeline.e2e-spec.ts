import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { API_KEY, startPipeline, type Pipeline } from './pipeline.fixture';

const ROWS = 300;

/** 300 rows: every 50th without contact (6), rows 101 and 201 exact copies of row 1 (2). */
function partnerFile(): string {
  const lines = ['Email,First Name,Company,Country'];
  for (let row = 1; row <= ROWS; row++) {
    if (row % 50 === 0) lines.push(`,No${row},Nowhere,DE`);
    else if (row === 101 || row === 201) lines.push(lines[1]!);
    else lines.push(`partner${row}@acme${row % 7}.com,First${row},Acme ${row % 7},DE`);
  }
  return `${lines.join('\n')}\n`;
}

interface Summary {
  import_id: string;
  rows: number;
  accepted: number;
  rejected: number;
}

/**
 * What a re-imported partner file means at the far end: the whole pipeline as processes (ingest,
 * normalizer, enricher, router, the sinks) delivering to a webhook receiver. Each import's rows
 * reach the receiver, and the second import's under the webhook-ids of the first, so a receiver
 * that keeps one record per webhook-id (as the Standard Webhooks spec asks) holds one lead per
 * distinct row after both.
 */
describe('partner file imported twice, through the whole pipeline to a webhook', () => {
  let pipeline: Pipeline;
  before(async () => {
    pipeline = await startPipeline('csv-pipeline');
  });
  after(async () => {
    await pipeline?.close();
  });

  const importFile = async (): Promise<Summary> => {
    const res = await fetch(`${pipeline.ingestUrl}/v1/leads/import`, {
      method: 'POST',
      headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'text/csv' },
      body: partnerFile(),
    });
    assert.equal(res.status, 200);
    return (await res.json()) as Summary;
  };

  const delivered = () =>
    pipeline.inbox.deliveries().map((d) => ({
      webhookId: d.headers['webhook-id'] ?? '',
      leadId: String((d.body as { data: Record<string, unknown> }).data['lead_id']),
    }));

  it('the receiver gets the re-imported leads again under the same webhook-ids: no new lead', async () => {
    const first = await importFile();
    assert.deepEqual([first.rows, first.accepted, first.rejected], [ROWS, ROWS - 6, 6]);
    const distinct = first.accepted - 2;
    await pipeline.waitFor(() => new Set(delivered().map((d) => d.leadId)).size >= distinct, {
      timeoutMs: 120_000,
      what: `${distinct} leads at the receiver`,
    });
    const afterFirst = new Set(delivered().map((d) => d.webhookId));

    const second = await importFile();
    assert.equal(second.accepted, first.accepted);
    // Every accepted row of both imports is a record on leads.raw; each one reaches the receiver.
    const all = await pipeline.waitFor(
      () => {
        const d = delivered();
        return d.length >= 2 * first.accepted && d;
      },
      { timeoutMs: 120_000, what: `${2 * first.accepted} deliveries` },
    );
    assert.equal(all.length, 2 * first.accepted);
    const webhookIds = new Set(all.map((d) => d.webhookId));
    assert.deepEqual(
      webhookIds,
      afterFirst,
      'the second import brought no webhook-id the first had not',
    );
    assert.equal(webhookIds.size, distinct);
    assert.equal(new Set(all.map((d) => d.leadId)).size, distinct);
  });
});

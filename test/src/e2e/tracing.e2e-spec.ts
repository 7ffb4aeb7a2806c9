import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { headersToStrings } from '@lead-router/kafka';
import { readRaw, waitFor } from '@lead-router/testing';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from './otlp-receiver.fixture';
import { postLead, startPipeline, type Pipeline } from './pipeline.fixture';

const SERVER = 2;
const CLIENT = 3;
const CONSUMER = 5;
const ERROR = 2;

/** A caller's own trace context: the lead's spans must all be in this trace. */
function callerTrace(): { traceId: string; parentId: string; traceparent: string } {
  const traceId = randomBytes(16).toString('hex');
  const parentId = randomBytes(8).toString('hex');
  return { traceId, parentId, traceparent: `00-${traceId}-${parentId}-01` };
}

/**
 * The webhook destination of the test: answers 204, except the first delivery of a lead whose
 * company is "RetryOnce", which gets 503 (the sink then retries it through a retry tier).
 */
interface FlakyWebhook {
  url: string;
  /** Lead ids delivered (2xx), in order. */
  delivered: string[];
  /** Lead ids answered 503. */
  refused: string[];
  /** The `traceparent` each lead's delivered request carried, by lead id. */
  traceparents: Map<string, string | undefined>;
  close(): Promise<void>;
}

async function startFlakyWebhook(): Promise<FlakyWebhook> {
  const delivered: string[] = [];
  const refused: string[] = [];
  const traceparents = new Map<string, string | undefined>();
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks).toString();
      let leadId = '';
      try {
        leadId = String((JSON.parse(raw) as { data: { lead_id: unknown } }).data.lead_id);
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (raw.toLowerCase().includes('retryonce') && !refused.includes(leadId)) {
        refused.push(leadId);
        res.writeHead(503).end();
        return;
      }
      delivered.push(leadId);
      traceparents.set(leadId, req.headers['traceparent'] as string | undefined);
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    delivered,
    refused,
    traceparents,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

function lead(marker: string, extra: Record<string, string> = {}): string {
  return JSON.stringify({
    email: `${marker}@globex-${marker}.com`,
    first_name: 'Tracy',
    country: 'DE',
    company: 'Globex',
    ...extra,
  });
}

/** The spans of one trace, by span id. */
function traceOf(receiver: OtlpReceiver, traceId: string): Map<string, ReceivedSpan> {
  return new Map(
    receiver
      .spans()
      .filter((s) => s.traceId === traceId)
      .map((s) => [s.spanId, s]),
  );
}

/** The span and its ancestors within the trace, from the root down. */
function lineage(spans: Map<string, ReceivedSpan>, span: ReceivedSpan): ReceivedSpan[] {
  const chain = [span];
  for (let s = span; s.parentSpanId !== '' && spans.has(s.parentSpanId);) {
    s = spans.get(s.parentSpanId)!;
    chain.unshift(s);
  }
  return chain;
}

const describeChain = (chain: readonly ReceivedSpan[]) =>
  chain.map((s) => `${s.service}:${s.name}`).join(' → ');

describe('one OpenTelemetry trace per lead, from the HTTP request to the CRM call', () => {
  let receiver: OtlpReceiver;
  let webhook: FlakyWebhook;
  let pipeline: Pipeline;

  before(async () => {
    receiver = await startOtlpReceiver();
    webhook = await startFlakyWebhook();
    pipeline = await startPipeline('tracing', {
      only: ['ingest', 'normalizer', 'enricher', 'router', 'sink-webhook'],
      env: {
        OTEL_TRACES_EXPORTER: 'otlp',
        OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url,
        OTEL_BSP_SCHEDULE_DELAY: '200',
      },
      // Every lead goes to the flaky webhook, which retries after 1 s.
      rules: (yaml) =>
        yaml
          .replace(/url: http:\/\/127\.0\.0\.1:\d+\/inbox/, `url: ${webhook.url}/inbox`)
          .replace('allow_private: true', 'allow_private: true\n    retry: { delays: [1s, 1s] }'),
    });
  });
  after(async () => {
    await pipeline?.close();
    await webhook?.close();
    await receiver?.close();
  });

  it("links a lead's spans parent to child, in order, across every process", async () => {
    const caller = callerTrace();
    const posted = await postLead(pipeline.ingestUrl, lead('traced'), {
      traceparent: caller.traceparent,
      tracestate: 'caller=1',
    });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    const leadId = posted.body.lead_id!;

    const deliver = await waitFor(
      () =>
        [...traceOf(receiver, caller.traceId).values()].find(
          (s) => s.name === 'sink-webhook deliver' && s.attributes['lead_router.outcome'],
        ),
      { timeoutMs: 120_000, what: "the lead's delivery span" },
    );
    assert.ok(webhook.delivered.includes(leadId), 'the lead reached the webhook');
    // The spans of every process reach the receiver; the chain is whole once the ingest span is in.
    const chain = await waitFor(
      () => {
        const c = lineage(traceOf(receiver, caller.traceId), deliver);
        return c[0]?.service === 'ingest' ? c : undefined;
      },
      { timeoutMs: 30_000, what: 'the chain up to the ingest span' },
    );
    assert.deepEqual(
      chain.map((s) => [s.service, s.name, s.kind]),
      [
        ['ingest', 'POST /v1/leads', SERVER],
        ['normalizer', 'normalizer process', CONSUMER],
        ['enricher', 'enricher process', CONSUMER],
        ['router', 'router process', CONSUMER],
        ['router', 'router-assign process', CONSUMER],
        ['sink-webhook', 'sink-webhook process', CONSUMER],
        ['sink-webhook', 'sink-webhook deliver', CLIENT],
      ],
      describeChain(chain),
    );
    // The caller's traceparent is honoured: the ingest span is the child of the caller's span.
    assert.equal(chain[0]!.parentSpanId, caller.parentId);
    for (let i = 1; i < chain.length; i++) {
      assert.ok(
        chain[i]!.startNs >= chain[i - 1]!.startNs,
        `${chain[i]!.name} starts after its parent`,
      );
    }
    for (const span of chain) {
      assert.equal(span.attributes['lead_router.lead_id'], leadId, `${span.name} names the lead`);
      assert.equal(span.status === ERROR, false, `${span.name} did not fail`);
    }
    assert.equal(chain[1]!.attributes['messaging.destination.name'], pipeline.topics.raw);
    assert.equal(chain[3]!.attributes['messaging.destination.name'], pipeline.topics.enriched);
    assert.equal(chain[5]!.attributes['messaging.destination.name'], pipeline.topics.routed);
    assert.equal(deliver.attributes['lead_router.outcome'], 'delivered');
    assert.equal(deliver.attributes['lead_router.destination'], 'demo-inbox');
    assert.equal(deliver.attributes['http.response.status_code'], 204);
    // The webhook request itself carries the delivery span as its W3C parent.
    assert.equal(webhook.traceparents.get(leadId), `00-${caller.traceId}-${deliver.spanId}-01`);
  });

  it('keeps no personal data in any span', async () => {
    await waitFor(() => receiver.spans().length > 0, { timeoutMs: 60_000, what: 'spans' });
    for (const span of receiver.spans()) {
      const text = JSON.stringify({ ...span, startNs: String(span.startNs) });
      assert.doesNotMatch(
        text,
        /@globex|Tracy/i,
        `${span.service}:${span.name} holds no email or name`,
      );
    }
  });

  it('starts no trace for the health checks the fixture polled', async () => {
    await waitFor(() => receiver.spans().some((s) => s.service === 'ingest'), {
      timeoutMs: 60_000,
      what: 'an ingest span',
    });
    const ingest = receiver.spans().filter((s) => s.service === 'ingest');
    assert.deepEqual([...new Set(ingest.map((s) => s.name))], ['POST /v1/leads']);
  });

  it("puts a dead-lettered lead's dead letter in its trace", async () => {
    const caller = callerTrace();
    const posted = await postLead(pipeline.ingestUrl, JSON.stringify({ email: 'not-an-email' }), {
      traceparent: caller.traceparent,
    });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    const leadId = posted.body.lead_id!;

    const dead = await waitFor(
      () =>
        [...traceOf(receiver, caller.traceId).values()].find((s) =>
          s.events.some((e) => e.name === 'lead_router.dead_lettered'),
        ),
      { timeoutMs: 120_000, what: 'the dead-letter span' },
    );
    const chain = await waitFor(
      () => {
        const c = lineage(traceOf(receiver, caller.traceId), dead);
        return c[0]?.service === 'ingest' ? c : undefined;
      },
      { timeoutMs: 30_000, what: 'the chain up to the ingest span' },
    );
    assert.deepEqual(
      chain.map((s) => `${s.service}:${s.name}`),
      ['ingest:POST /v1/leads', 'normalizer:normalizer process'],
    );
    assert.equal(dead.status, ERROR);
    assert.equal(dead.attributes['error.type'], 'no_contact');
    assert.equal(dead.attributes['lead_router.lead_id'], leadId);
    const event = dead.events.find((e) => e.name === 'lead_router.dead_lettered')!;
    assert.equal(event.attributes['messaging.destination.name'], pipeline.topics.dlq);

    // The dead letter itself carries the context of the span that dead-lettered it.
    const letter = await waitFor(
      async () =>
        (await readRaw(pipeline.kafka, pipeline.topics.dlq)).find(
          (r) => r.message.key?.toString() === leadId,
        ),
      { timeoutMs: 30_000, what: 'the dead letter' },
    );
    const headers = headersToStrings(letter.message.headers);
    assert.equal(headers['traceparent'], `00-${caller.traceId}-${dead.spanId}-01`);
  });

  it('shows a delivery retried after a 503 in the same trace', async () => {
    const caller = callerTrace();
    const posted = await postLead(pipeline.ingestUrl, lead('retried', { company: 'RetryOnce' }), {
      traceparent: caller.traceparent,
    });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    const leadId = posted.body.lead_id!;

    const delivered = await waitFor(
      () =>
        [...traceOf(receiver, caller.traceId).values()].find(
          (s) =>
            s.name === 'sink-webhook deliver' &&
            s.attributes['lead_router.outcome'] === 'delivered',
        ),
      { timeoutMs: 120_000, what: 'the delivery after the retry' },
    );
    assert.deepEqual(webhook.refused, [leadId], 'the webhook refused the lead once');
    const chain = await waitFor(
      () => {
        const c = lineage(traceOf(receiver, caller.traceId), delivered);
        return c[0]?.service === 'ingest' ? c : undefined;
      },
      { timeoutMs: 30_000, what: 'the chain up to the ingest span' },
    );
    // ingest → normalizer → enricher → router → router-assign → sink (leads.routed) → the first
    // try (503) → the retry tier's consumer → the second try (delivered).
    const tail = chain.slice(-4);
    assert.equal(chain.length, 9, describeChain(chain));
    assert.equal(tail[0]!.name, 'sink-webhook process');
    assert.equal(tail[1]!.name, 'sink-webhook deliver');
    assert.equal(tail[1]!.attributes['lead_router.outcome'], 'retry');
    assert.equal(tail[1]!.attributes['http.response.status_code'], 503);
    assert.equal(tail[1]!.status, ERROR);
    assert.equal(tail[2]!.kind, CONSUMER);
    assert.match(tail[2]!.name, /^sink-webhook:.*retry.* process$/);
    assert.equal(tail[2]!.attributes['lead_router.attempt'], 2);
    assert.equal(tail[3]!.attributes['lead_router.attempt'], 2);
    assert.equal(tail[3]!.attributes['http.response.status_code'], 204);
  });
});

describe('tracing off (OTEL_TRACES_EXPORTER unset)', () => {
  let receiver: OtlpReceiver;
  let pipeline: Pipeline | undefined;

  before(async () => {
    receiver = await startOtlpReceiver();
    // As docker-compose runs it: an endpoint for every service, the exporter left unset.
    pipeline = await startPipeline('tracing-off', {
      only: ['ingest', 'normalizer'],
      env: { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.url, OTEL_BSP_SCHEDULE_DELAY: '200' },
    });
  });
  after(async () => {
    await pipeline?.close();
    await receiver?.close();
  });

  it('exports nothing and passes the caller’s traceparent on unchanged', async () => {
    const caller = callerTrace();
    const posted = await postLead(pipeline!.ingestUrl, lead('untraced'), {
      traceparent: caller.traceparent,
      tracestate: 'caller=1',
    });
    assert.equal(posted.status, 202, JSON.stringify(posted.body));
    const leadId = posted.body.lead_id!;
    const normalized = await waitFor(
      async () =>
        (await readRaw(pipeline!.kafka, pipeline!.topics.normalized)).find(
          (r) => r.message.key?.toString() === leadId,
        ),
      { timeoutMs: 120_000, what: 'the normalized lead' },
    );
    const headers = headersToStrings(normalized.message.headers);
    assert.equal(headers['traceparent'], caller.traceparent);
    assert.equal(headers['tracestate'], 'caller=1');
    // Stopped with SIGTERM: a process that traced would export its spans on the way out.
    await pipeline!.close();
    pipeline = undefined;
    assert.equal(receiver.requests, 0, 'no export request reached the receiver');
  });
});

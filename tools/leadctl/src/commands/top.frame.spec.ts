import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExposition } from '@lead-router/observability';
import { buildFrame, type Scrape } from './top.frame';
import { renderFrame } from './top.render';
import type { Target } from './top.targets';

const normalizer: Target = { name: 'normalizer', url: 'http://127.0.0.1:8181' };
const sinkWebhook: Target = { name: 'sink-webhook', url: 'http://127.0.0.1:8184' };
const sinkPostgres: Target = { name: 'sink-postgres', url: 'http://127.0.0.1:8186' };
const ingest: Target = { name: 'ingest', url: 'http://127.0.0.1:8080' };

const round = (value: number | null) => (value === null ? null : Math.round(value * 1e6) / 1e6);

const read = (target: Target, at: number, ...lines: string[]): Scrape => ({
  target,
  at,
  samples: parseExposition(lines.join('\n')).samples,
});
const down = (target: Target, at: number, error = 'ECONNREFUSED'): Scrape => ({
  target,
  at,
  samples: null,
  error,
});

const normalizerAt = (ok: number, dlq: number, lag: [number, number]) => [
  `lead_router_records_total{stage="normalizer",topic="p.leads.raw",outcome="ok",service="normalizer"} ${ok}`,
  `lead_router_records_total{stage="normalizer",topic="p.leads.raw",outcome="dlq",service="normalizer"} ${dlq}`,
  `lead_router_errors_total{stage="normalizer",code="no_contact",service="normalizer"} ${dlq}`,
  `lead_router_consumer_lag{stage="normalizer",topic="p.leads.raw",partition="0",service="normalizer"} ${lag[0]}`,
  `lead_router_consumer_lag{stage="normalizer",topic="p.leads.raw",partition="1",service="normalizer"} ${lag[1]}`,
  `lead_router_produced_records_total{topic="p.leads.dlq",service="normalizer"} ${dlq}`,
];

const speedAt = (sink: string, destination: string, counts: [number, number, number]) => [
  `lead_router_speed_to_lead_seconds_bucket{le="0.1",service="${sink}",source="web-form",destination="${destination}"} ${counts[0]}`,
  `lead_router_speed_to_lead_seconds_bucket{le="1",service="${sink}",source="web-form",destination="${destination}"} ${counts[1]}`,
  `lead_router_speed_to_lead_seconds_bucket{le="+Inf",service="${sink}",source="web-form",destination="${destination}"} ${counts[2]}`,
];

describe('buildFrame', () => {
  const sut = buildFrame;

  it("gives each stage's leads a second and dead letters a second over the window, its lag and how long the lag holds", () => {
    const frame = sut(
      [read(normalizer, 10_000, ...normalizerAt(100, 2, [50, 30]))],
      [read(normalizer, 12_000, ...normalizerAt(300, 6, [10, 10]))],
      'p.',
    );
    assert.equal(frame.windowSeconds, 2);
    assert.deepEqual(frame.stages, [
      {
        service: 'normalizer',
        stage: 'normalizer',
        perSecond: 102, // (200 ok + 4 dlq) / 2 s
        dlqPerSecond: 2,
        lag: 20,
        lagSeconds: 20 / 102,
      },
    ]);
    assert.deepEqual(frame.lag, [
      { service: 'normalizer', stage: 'normalizer', topic: 'leads.raw', lag: 20, change: -30 },
    ]);
    assert.deepEqual(frame.deadLetters, [
      { service: 'normalizer', stage: 'normalizer', code: 'no_contact', total: 6, perSecond: 2 },
    ]);
    assert.deepEqual(frame.dlqWritten, { total: 6, perSecond: 2 });
  });

  it("takes the prefix off a sink's retry-tier stage and its topic", () => {
    const tier = (n: number) => [
      `lead_router_records_total{stage="sink-webhook:p.sink-webhook.retry.10s",topic="p.sink-webhook.retry.10s",outcome="ok"} ${n}`,
      `lead_router_consumer_lag{stage="sink-webhook:p.sink-webhook.retry.10s",topic="p.sink-webhook.retry.10s",partition="0"} 4`,
    ];
    const frame = sut(
      [read(sinkWebhook, 0, ...tier(1))],
      [read(sinkWebhook, 1_000, ...tier(3))],
      'p.',
    );
    assert.deepEqual(
      frame.stages.map((s) => [s.stage, s.perSecond, s.lag]),
      [['sink-webhook:sink-webhook.retry.10s', 2, 4]],
    );
    assert.deepEqual(
      frame.lag.map((l) => [l.stage, l.topic]),
      [['sink-webhook:sink-webhook.retry.10s', 'sink-webhook.retry.10s']],
    );
  });

  it('counts a restarted service from 0: its counters fell, so all they hold is new', () => {
    const frame = sut(
      [read(normalizer, 0, ...normalizerAt(5_000, 40, [0, 0]))],
      [read(normalizer, 4_000, ...normalizerAt(80, 0, [0, 0]))],
    );
    assert.equal(frame.stages[0]!.perSecond, 20);
    assert.equal(frame.stages[0]!.dlqPerSecond, 0);
    assert.ok(frame.stages.every((s) => (s.perSecond ?? 0) >= 0));
  });

  it('shows a service that does not answer as down, with why, and the others as usual', () => {
    const frame = sut(
      [read(normalizer, 0, ...normalizerAt(0, 0, [0, 0])), read(sinkPostgres, 0, 'x 1')],
      [read(normalizer, 1_000, ...normalizerAt(10, 0, [0, 0])), down(sinkPostgres, 1_000)],
    );
    assert.deepEqual(frame.services, [
      { name: 'normalizer', url: normalizer.url, up: true },
      { name: 'sink-postgres', url: sinkPostgres.url, up: false, error: 'ECONNREFUSED' },
    ]);
    assert.equal(frame.stages.length, 1);
    assert.equal(frame.stages[0]!.perSecond, 10);
    const text = renderFrame(frame);
    assert.match(text, /1 of 2 services up/);
    assert.match(text, /^sink-postgres\s+DOWN\s+ECONNREFUSED$/m);
    assert.match(text, /^normalizer\s+up\s+normalizer\s+10\.0\s+0\.0\s+0\s+0\.0 s$/m);
  });

  it('has figures but no rates for a service that did not answer the previous read', () => {
    const frame = sut(
      [down(normalizer, 0)],
      [read(normalizer, 1_000, ...normalizerAt(10, 1, [3, 4]))],
    );
    assert.deepEqual(frame.stages[0], {
      service: 'normalizer',
      stage: 'normalizer',
      perSecond: null,
      dlqPerSecond: null,
      lag: 7,
      lagSeconds: null,
    });
    assert.equal(frame.deadLetters[0]!.total, 1);
    assert.equal(frame.deadLetters[0]!.perSecond, null);
    assert.match(renderFrame(frame), /^normalizer\s+up\s+normalizer\s+-\s+-\s+7\s+-$/m);
  });

  it('estimates speed-to-lead p50/p99 per source and destination from the window only, and over all of them', () => {
    const frame = sut(
      [
        read(sinkWebhook, 0, ...speedAt('sink-webhook', 'inbox', [1_000, 1_000, 1_000])),
        read(sinkPostgres, 0, ...speedAt('sink-postgres', 'table', [0, 0, 0])),
      ],
      [
        // In the window: 10 leads to the inbox, all under 100 ms (the 1,000 slow ones before are not in it).
        read(sinkWebhook, 2_000, ...speedAt('sink-webhook', 'inbox', [1_010, 1_010, 1_010])),
        read(sinkPostgres, 2_000, ...speedAt('sink-postgres', 'table', [0, 10, 10])),
      ],
    );
    assert.deepEqual(
      frame.speedToLead.map((s) => [
        s.source,
        s.destination,
        s.perSecond,
        round(s.p50),
        round(s.p99),
      ]),
      [
        ['web-form', 'inbox', 5, 0.05, 0.099],
        // (0.1, 1] holds all 10: ranks 5 and 9.9 lie halfway and 99% into it
        ['web-form', 'table', 5, 0.55, 0.991],
        // 10 under 100 ms, 10 in (0.1, 1]: rank 10 ends the first bucket, 19.8 lies 98% into the second
        ['*', '*', 10, 0.1, 0.982],
      ],
    );
    const text = renderFrame(frame);
    assert.match(text, /^web-form\s+inbox\s+5\.0\s+50 ms\s+99 ms$/m);
    assert.match(text, /^\*\s+\*\s+10\.0\s+100 ms\s+982 ms$/m);
  });

  it('says so when nothing was delivered in the window', () => {
    const frame = sut(
      [read(sinkWebhook, 0, ...speedAt('sink-webhook', 'inbox', [3, 3, 3]))],
      [read(sinkWebhook, 1_000, ...speedAt('sink-webhook', 'inbox', [3, 3, 3]))],
    );
    assert.deepEqual(
      frame.speedToLead.map((s) => [s.perSecond, s.p50, s.p99]),
      [[0, null, null]],
    );
    assert.match(renderFrame(frame), /^web-form\s+inbox\s+0\.0\s+-\s+-$/m);
  });

  it("counts a sink's failed deliveries as dead letters and ingest's refusals not", () => {
    const frame = sut(
      [
        read(ingest, 0, 'lead_router_errors_total{stage="ingest",code="kafka_unavailable"} 1'),
        read(
          sinkWebhook,
          0,
          'lead_router_sink_failed_total{sink="sink-webhook",destination="inbox"} 1',
        ),
      ],
      [
        read(ingest, 1_000, 'lead_router_errors_total{stage="ingest",code="kafka_unavailable"} 9'),
        read(
          sinkWebhook,
          1_000,
          'lead_router_sink_failed_total{sink="sink-webhook",destination="inbox"} 4',
        ),
      ],
    );
    assert.deepEqual(frame.deadLetters, [
      {
        service: 'sink-webhook',
        stage: 'sink-webhook',
        code: 'failed:inbox',
        total: 4,
        perSecond: 3,
      },
    ]);
  });

  it('leaves out pipeline-fused while it does not answer, and the services it replaces while it does', () => {
    const fused: Target = {
      name: 'pipeline-fused',
      url: 'http://127.0.0.1:8190',
      replaces: ['normalizer', 'enricher'],
    };
    const split = sut(
      [down(fused, 0), read(normalizer, 0, 'x 1')],
      [down(fused, 1_000), read(normalizer, 1_000, 'x 1')],
    );
    assert.deepEqual(
      split.services.map((s) => s.name),
      ['normalizer'],
    );
    const fusedUp = sut(
      [read(fused, 0, 'x 1'), down(normalizer, 0)],
      [read(fused, 1_000, 'x 1'), down(normalizer, 1_000)],
    );
    assert.deepEqual(
      fusedUp.services.map((s) => s.name),
      ['pipeline-fused'],
    );
  });

  it("names a target given by its address by its metrics' service label, else by host and port", () => {
    const anonymous: Target = { name: null, url: 'http://10.0.0.7:8181' };
    const up = sut([], [read(anonymous, 0, 'x{service="enricher"} 1')]);
    assert.equal(up.services[0]!.name, 'enricher');
    const gone = sut([], [down(anonymous, 0)]);
    assert.equal(gone.services[0]!.name, '10.0.0.7:8181');
  });
});

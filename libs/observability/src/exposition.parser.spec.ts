import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { Counter, Histogram } from 'prom-client';
import { ExpositionError, parseExposition, sumSamples } from './exposition.parser';
import { createRegistry } from './metrics';

describe('parseExposition', () => {
  const sut = parseExposition;

  it('reads what prom-client writes: labels, histogram lines and each family type', async () => {
    const registry = createRegistry('normalizer');
    const records = new Counter({
      name: 'lead_router_records_total',
      help: 'records',
      labelNames: ['stage', 'topic', 'outcome'],
      registers: [registry],
    });
    records.inc({ stage: 'normalizer', topic: 'leads.raw', outcome: 'ok' }, 41);
    records.inc({ stage: 'normalizer', topic: 'leads.raw', outcome: 'dlq' });
    const latency = new Histogram({
      name: 'lead_router_speed_to_lead_seconds',
      help: 'speed',
      labelNames: ['source', 'destination'],
      buckets: [0.1, 1],
      registers: [registry],
    });
    latency.observe({ source: 'web-form', destination: 'inbox' }, 0.5);

    const { samples, types } = sut(await registry.metrics());

    assert.equal(types.get('lead_router_records_total'), 'counter');
    assert.equal(types.get('lead_router_speed_to_lead_seconds'), 'histogram');
    assert.deepEqual(
      samples.filter((s) => s.name === 'lead_router_records_total'),
      [
        {
          name: 'lead_router_records_total',
          labels: { stage: 'normalizer', topic: 'leads.raw', outcome: 'ok', service: 'normalizer' },
          value: 41,
        },
        {
          name: 'lead_router_records_total',
          labels: {
            stage: 'normalizer',
            topic: 'leads.raw',
            outcome: 'dlq',
            service: 'normalizer',
          },
          value: 1,
        },
      ],
    );
    const buckets = samples
      .filter((s) => s.name === 'lead_router_speed_to_lead_seconds_bucket')
      .map((s) => [s.labels['le'], s.value]);
    assert.deepEqual(buckets, [
      ['0.1', 0],
      ['1', 1],
      ['+Inf', 1],
    ]);
    assert.ok(samples.some((s) => s.name === 'process_cpu_seconds_total'));
  });

  it('unescapes label values and reads special values (in any case, as prom-client writes Nan) and timestamps', () => {
    const { samples } = sut(
      [
        '# HELP odd a help line with "quotes"',
        'odd{path="C:\\\\dir",quote="say \\"hi\\"",nl="a\\nb",comma="x,y}z"} +Inf 1700000000000',
        'odd{empty=""} Nan',
        '   ',
        'bare -Inf',
        'sci 1.5e3',
      ].join('\n'),
    );
    assert.deepEqual(samples[0]!.labels, {
      path: 'C:\\dir',
      quote: 'say "hi"',
      nl: 'a\nb',
      comma: 'x,y}z',
    });
    assert.equal(samples[0]!.value, Infinity);
    assert.ok(Number.isNaN(samples[1]!.value));
    assert.deepEqual(samples[1]!.labels, { empty: '' });
    assert.equal(samples[2]!.value, -Infinity);
    assert.equal(samples[3]!.value, 1500);
  });

  it('names the first line it cannot read', () => {
    assert.throws(
      () => sut('ok 1\nbroken{stage="x" 2\n'),
      (err: unknown) => err instanceof ExpositionError && err.line === 2,
    );
    assert.throws(() => sut('ok one'), /line 1: not a number: one/);
    assert.throws(() => sut('<html>'), /line 1: expected a metric name/);
    assert.throws(() => sut('ok'), /line 1: expected a value after ok/);
  });
});

describe('sumSamples', () => {
  it('sums the series whose labels include the given ones, 0 when none does', () => {
    const { samples } = parseExposition(
      [
        'lead_router_records_total{stage="a",topic="t1",outcome="ok"} 3',
        'lead_router_records_total{stage="a",topic="t2",outcome="ok"} 4',
        'lead_router_records_total{stage="b",topic="t1",outcome="ok"} 5',
        'lead_router_records_total_other{stage="a"} 100',
      ].join('\n'),
    );
    assert.equal(sumSamples(samples, 'lead_router_records_total', { stage: 'a' }), 7);
    assert.equal(sumSamples(samples, 'lead_router_records_total', { topic: 't1' }), 8);
    assert.equal(sumSamples(samples, 'lead_router_records_total'), 12);
    assert.equal(sumSamples(samples, 'lead_router_records_total', { stage: 'c' }), 0);
  });
});

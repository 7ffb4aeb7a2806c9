import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseExposition } from '@lead-router/observability';
import {
  counterIncrease,
  histogramIncreases,
  histogramQuantile,
  increases,
  sumBuckets,
} from './top.rates';

const samples = (...lines: string[]) => parseExposition(lines.join('\n')).samples;

describe('counterIncrease', () => {
  const sut = counterIncrease;

  it('is the difference while the counter grows', () => {
    assert.equal(sut(10, 25), 15);
    assert.equal(sut(25, 25), 0);
  });

  it('counts all of a value below the previous one: the process restarted and counted from 0', () => {
    assert.equal(sut(1_000, 40), 40);
  });

  it('counts all of a series the previous read did not have', () => {
    assert.equal(sut(undefined, 7), 7);
  });
});

describe('increases', () => {
  it('pairs each series with its own previous value by name and labels', () => {
    const before = samples(
      'lead_router_records_total{stage="a",outcome="ok"} 10',
      'lead_router_records_total{stage="a",outcome="dlq"} 5',
    );
    const now = samples(
      'lead_router_records_total{outcome="ok",stage="a"} 30',
      'lead_router_records_total{stage="a",outcome="dlq"} 2',
      'lead_router_records_total{stage="b",outcome="ok"} 4',
      'lead_router_errors_total{stage="a"} 99',
    );
    assert.deepEqual(
      increases(before, now, 'lead_router_records_total').map((r) => [
        r.sample.labels['stage'],
        r.sample.labels['outcome'],
        r.increase,
      ]),
      [
        ['a', 'ok', 20],
        ['a', 'dlq', 2],
        ['b', 'ok', 4],
      ],
    );
  });
});

describe('histogramQuantile', () => {
  const sut = histogramQuantile;
  const buckets = [
    { le: 0.1, count: 10 },
    { le: 0.5, count: 60 },
    { le: 1, count: 100 },
    { le: Infinity, count: 100 },
  ];

  it('interpolates linearly inside the bucket holding the rank, as histogram_quantile does', () => {
    // rank 50 lies 40 of the 50 observations into (0.1, 0.5]: 0.1 + 0.4 * 40/50
    assert.equal(sut(0.5, buckets), 0.42000000000000004);
    // rank 99 lies 39 of 40 into (0.5, 1]
    assert.equal(sut(0.99, buckets), 0.5 + 0.5 * (39 / 40));
  });

  it('starts the first bucket at 0', () => {
    assert.equal(sut(0.05, buckets), 0.05);
  });

  it('answers the highest finite bound for a rank in the +Inf bucket', () => {
    const slow = [
      { le: 0.1, count: 1 },
      { le: 1, count: 2 },
      { le: Infinity, count: 10 },
    ];
    assert.equal(sut(0.99, slow), 1);
  });

  it('is NaN without observations or without a +Inf bucket, and ±Inf outside [0, 1]', () => {
    assert.ok(
      Number.isNaN(
        sut(0.5, [
          { le: 1, count: 0 },
          { le: Infinity, count: 0 },
        ]),
      ),
    );
    assert.ok(
      Number.isNaN(
        sut(0.5, [
          { le: 1, count: 3 },
          { le: 2, count: 3 },
        ]),
      ),
    );
    assert.equal(sut(-0.1, buckets), -Infinity);
    assert.equal(sut(1.1, buckets), Infinity);
  });

  it('reads buckets that are not monotonic (a read between two bucket updates) as monotonic', () => {
    const torn = [
      { le: 0.1, count: 10 },
      { le: 0.5, count: 9 },
      { le: Infinity, count: 20 },
    ];
    assert.equal(sut(0.25, torn), 0.05);
  });
});

describe('histogramIncreases', () => {
  const name = 'lead_router_speed_to_lead_seconds';
  const read = (destination: string, counts: [string, number][]) =>
    counts.map(
      ([le, n]) => `${name}_bucket{le="${le}",source="web",destination="${destination}"} ${n}`,
    );

  it('gives each bucket what it gained between the reads, per series', () => {
    const before = samples(
      ...read('inbox', [
        ['0.1', 5],
        ['1', 8],
        ['+Inf', 8],
      ]),
    );
    const now = samples(
      ...read('inbox', [
        ['0.1', 5],
        ['1', 18],
        ['+Inf', 20],
      ]),
      ...read('crm', [
        ['0.1', 1],
        ['1', 1],
        ['+Inf', 1],
      ]),
      `${name}_count{source="web",destination="inbox"} 20`,
    );
    const sut = histogramIncreases(before, now, name);
    assert.deepEqual(sut, [
      {
        labels: { source: 'web', destination: 'inbox' },
        buckets: [
          { le: 0.1, count: 0 },
          { le: 1, count: 10 },
          { le: Infinity, count: 12 },
        ],
      },
      {
        labels: { source: 'web', destination: 'crm' },
        buckets: [
          { le: 0.1, count: 1 },
          { le: 1, count: 1 },
          { le: Infinity, count: 1 },
        ],
      },
    ]);
    // Nothing in the window was faster than 100 ms, so p50 lies in (0.1, 1].
    assert.equal(histogramQuantile(0.5, sut[0]!.buckets), 0.1 + 0.9 * (6 / 10));
  });

  it('takes the current counts whole when the series counted from 0 again (a restart)', () => {
    const before = samples(
      ...read('inbox', [
        ['0.1', 500],
        ['1', 900],
        ['+Inf', 1_000],
      ]),
    );
    const now = samples(
      ...read('inbox', [
        ['0.1', 3],
        ['1', 4],
        ['+Inf', 4],
      ]),
    );
    assert.deepEqual(histogramIncreases(before, now, name)[0]!.buckets, [
      { le: 0.1, count: 3 },
      { le: 1, count: 4 },
      { le: Infinity, count: 4 },
    ]);
  });
});

describe('sumBuckets', () => {
  it('adds the series bucket by bucket (sum by le)', () => {
    assert.deepEqual(
      sumBuckets([
        [
          { le: 1, count: 2 },
          { le: Infinity, count: 3 },
        ],
        [
          { le: Infinity, count: 10 },
          { le: 1, count: 4 },
        ],
      ]),
      [
        { le: 1, count: 6 },
        { le: Infinity, count: 13 },
      ],
    );
  });
});

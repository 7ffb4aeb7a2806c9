import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseHubSpotRateLimits } from './hubspot-rate-limit.parser';

describe('parseHubSpotRateLimits', () => {
  const sut = parseHubSpotRateLimits;

  it('reads the daily, ten-second and per-second windows, whatever the header case', () => {
    const budget = sut({
      'x-hubspot-ratelimit-daily': '625000',
      'X-HubSpot-RateLimit-Daily-Remaining': '624100',
      'x-hubspot-ratelimit-max': '190',
      'x-hubspot-ratelimit-remaining': '12',
      'x-hubspot-ratelimit-interval-milliseconds': '10000',
      'x-hubspot-ratelimit-secondly': '19',
      'x-hubspot-ratelimit-secondly-remaining': '3',
    });
    assert.deepEqual(budget, {
      daily: { max: 625000, remaining: 624100 },
      rolling: { max: 190, remaining: 12, intervalMs: 10000 },
      secondly: { max: 19, remaining: 3 },
    });
  });

  it('says null for a window HubSpot did not report (no daily headers on OAuth calls)', () => {
    const budget = sut(
      new Headers({ 'X-HubSpot-RateLimit-Max': '100', 'X-HubSpot-RateLimit-Remaining': '99' }),
    );
    assert.deepEqual(budget, {
      daily: null,
      rolling: { max: 100, remaining: 99, intervalMs: null },
      secondly: null,
    });
  });

  it('ignores values that are not counts', () => {
    assert.deepEqual(sut({ 'x-hubspot-ratelimit-daily': 'lots' }).daily, null);
  });
});

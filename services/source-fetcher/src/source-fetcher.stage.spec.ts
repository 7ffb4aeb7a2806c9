import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseSourcesConfig } from '@lead-router/capture';
import { ATTEMPTS_HEADER, DUE_AT_HEADER, type RecordContext } from '@lead-router/kafka';
import { createLogger } from '@lead-router/observability';
import { prefixedTopics, type SourceLeadReference } from '@lead-router/schemas';
import { LimiterDestinationGate } from '@lead-router/sink-runtime';
import { Counter, Registry } from 'prom-client';
import type { FetchResult, PlatformFetcher } from './platform.fetcher';
import type { FetchSource, SourceFetcherConfig } from './source-fetcher.config';
import { fetchStep } from './source-fetcher.stage';

const parsed = parseSourcesConfig(`
sources:
  fb:
    platform: meta
    app_secret: { env: A }
    verify_token: { env: B }
    access_token: { env: C }
    fetch_budget: { requests: 1, per_seconds: 3600 }
`);
assert.ok(parsed.ok);
const source = { ...parsed.value.get('fb'), accessToken: 't', appSecret: 's' } as FetchSource;
const config = {
  platform: { topicPrefix: 'p.' },
  sources: new Map([['fb', source]]),
  retryDelaysMs: [1000, 2000, 3000, 4000],
} as unknown as SourceFetcherConfig;
const topics = prefixedTopics('p.');
const reference: SourceLeadReference = {
  platform: 'meta',
  source: 'fb',
  platform_lead_id: '42',
  received_at: 1_000,
  attributes: {},
};
const ctx = (attempts: number) => ({ attempts, headers: {} }) as unknown as RecordContext;
const NOW = 10_000_000;

function step(results: FetchResult[]) {
  const calls: string[] = [];
  return {
    calls,
    step: {
      fetcher: {
        fetch: async (_s: FetchSource, r: SourceLeadReference) => {
          calls.push(r.platform_lead_id);
          return results.shift()!;
        },
      } as unknown as PlatformFetcher,
      gate: new LimiterDestinationGate({ kind: 'memory' }, () => NOW),
      metrics: new Counter({
        name: 'f',
        help: 'f',
        labelNames: ['source', 'outcome'],
        registers: [new Registry()],
      }),
      logger: createLogger('spec', 'silent'),
      now: () => NOW,
    },
  };
}

describe('fetchStep', () => {
  const failing: FetchResult = {
    kind: 'retry',
    code: 'platform_unavailable',
    reason: 'HTTP 503',
    retryAfterMs: null,
  };

  it("puts a failed fetch on the retry topic of its try, due after that try's delay", async () => {
    const { step: s } = step([failing]);
    const result = await fetchStep(reference, ctx(2), config, topics, s);
    assert.equal(result.kind, 'ok');
    assert.deepEqual(result.kind === 'ok' && result.outputs, [
      {
        topic: 'p.sources.fetch.retry.2',
        key: 'meta:42',
        value: reference,
        headers: { [ATTEMPTS_HEADER]: '2', [DUE_AT_HEADER]: String(NOW + 2000) },
      },
    ]);
  });

  it('dead-letters after the last retry, and at once for a lead the platform refuses', async () => {
    const last = await fetchStep(reference, ctx(5), config, topics, step([failing]).step);
    assert.deepEqual(last, {
      kind: 'dead',
      code: 'platform_unavailable_after_retries',
      error: 'HTTP 503',
      attempts: 5,
    });
    const refused = await fetchStep(
      reference,
      ctx(1),
      config,
      topics,
      step([{ kind: 'dead', code: 'token_refused', reason: 'HTTP 401' }]).step,
    );
    assert.equal(refused.kind === 'dead' && refused.code, 'token_refused');
  });

  it("keeps the source's budget: over it, a reference waits without a call and without a try", async () => {
    const lead = { kind: 'lead', lead: { lead_id: 'L' } } as unknown as FetchResult;
    const { step: s, calls } = step([lead, lead]);
    const first = await fetchStep(reference, ctx(1), config, topics, s);
    assert.equal(first.kind === 'ok' && first.outputs[0]?.topic, 'p.leads.raw');
    const second = await fetchStep(reference, ctx(1), config, topics, s);
    assert.equal(calls.length, 1);
    assert.ok(second.kind === 'ok');
    const out = second.outputs[0]!;
    assert.equal(out.topic, 'p.sources.fetch.retry.1');
    assert.equal(out.headers?.[ATTEMPTS_HEADER], '0');
    assert.ok(Number(out.headers?.[DUE_AT_HEADER]) > NOW + 1000);
  });
});

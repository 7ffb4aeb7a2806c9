import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { serviceEntry, servicesOfKind } from './services.manifest';
import {
  RETRY_TIERS,
  type SinkName,
  Topics,
  prefixedTopics,
  SOURCE_FETCH_RETRIES,
  sourceFetchRetryTopic,
  retryTierFor,
  retryTiers,
  retryTopic,
  topicDeclarations,
} from './topics';

const sinks: SinkName[] = servicesOfKind('sink').map((s) => s.name);

const isSinkRetryTopic = (d: { name: string }) =>
  sinks.some((sink) => d.name.startsWith(`${sink}.retry.`));

describe('retry tier topics', () => {
  it('declares <sink>.retry.<tier> for every sink in the manifest and every tier', () => {
    const names = new Set(topicDeclarations.map((d) => d.name));
    assert.ok(sinks.length > 0);
    for (const sink of sinks) {
      for (const tier of ['10s', '1m', '10m', '1h'] as const) {
        assert.ok(names.has(`${sink}.retry.${tier}`), `${sink}.retry.${tier}`);
      }
    }
    const retry = topicDeclarations.filter(isSinkRetryTopic);
    assert.equal(retry.length, sinks.length * RETRY_TIERS.length);
  });

  it('gives each the RoutedLead schema, leads.routed partitions and a retention above 1 h', () => {
    const routed = topicDeclarations.find((d) => d.name === Topics.routed)!;
    const longest = Math.max(...RETRY_TIERS.map((t) => t.delayMs));
    for (const d of topicDeclarations.filter(isSinkRetryTopic)) {
      assert.equal(d.valueSchema, 'RoutedLead', d.name);
      assert.equal(d.partitions, routed.partitions, d.name);
      assert.equal(d.config['cleanup.policy'], 'delete', d.name);
      assert.ok(Number(d.config['retention.ms']) >= 24 * longest, d.name);
    }
  });

  it('names every topic once', () => {
    const names = topicDeclarations.map((d) => d.name);
    assert.equal(new Set(names).size, names.length);
  });

  it('prefixes the retry topics like every other topic', () => {
    const { declarations } = prefixedTopics('t-x.');
    for (const sink of sinks) {
      assert.ok(
        declarations.some((d) => d.name === `t-x.${sink}.retry.1m`),
        sink,
      );
    }
    assert.ok(declarations.every((d) => d.name.startsWith('t-x.')));
    assert.equal(declarations.length, topicDeclarations.length);
  });
});

describe('retryTiers', () => {
  it('gives a sink its tiers, shortest first, with their delays and prefixed topics', () => {
    assert.deepEqual(retryTiers('sink-webhook', 'p.'), [
      { tier: '10s', delayMs: 10_000, topic: 'p.sink-webhook.retry.10s' },
      { tier: '1m', delayMs: 60_000, topic: 'p.sink-webhook.retry.1m' },
      { tier: '10m', delayMs: 600_000, topic: 'p.sink-webhook.retry.10m' },
      { tier: '1h', delayMs: 3_600_000, topic: 'p.sink-webhook.retry.1h' },
    ]);
    assert.equal(retryTopic('sink-postgres', '10s'), 'sink-postgres.retry.10s');
  });

  it('refuses a name that is no sink', () => {
    assert.throws(() => retryTiers('router' as SinkName), /router is no sink/);
  });
});

describe('retryTierFor', () => {
  const tierFor = (delayMs: number) => retryTierFor('sink-webhook', delayMs).tier;

  it('picks the shortest tier at least as long as the wanted delay', () => {
    assert.equal(tierFor(1), '10s');
    assert.equal(tierFor(10_000), '10s');
    assert.equal(tierFor(10_001), '1m');
    assert.equal(tierFor(60_000), '1m');
    assert.equal(tierFor(4 * 60_000), '10m');
    assert.equal(tierFor(3_600_000), '1h');
  });

  it('picks the shortest for no delay and the longest beyond it', () => {
    assert.equal(tierFor(0), '10s');
    assert.equal(tierFor(-5), '10s');
    assert.equal(tierFor(24 * 3_600_000), '1h');
  });

  it('applies the prefix to the tier it picks', () => {
    assert.equal(retryTierFor('sink-postgres', 30_000, 'p.').topic, 'p.sink-postgres.retry.1m');
  });
});

describe('leads.attempts', () => {
  it('is declared like the other lead topics, with the DeliveryAttempt schema', () => {
    const attempts = topicDeclarations.find((d) => d.name === 'leads.attempts');
    const delivered = topicDeclarations.find((d) => d.name === Topics.delivered)!;
    assert.ok(attempts, 'leads.attempts is declared');
    assert.equal(attempts.valueSchema, 'DeliveryAttempt');
    assert.equal(attempts.partitions, 6);
    assert.deepEqual(attempts.config, delivered.config);
    assert.equal(attempts.config['retention.ms'], String(7 * 24 * 3600 * 1000));
  });

  it('is written by every sink and read by the indexer', () => {
    for (const sink of servicesOfKind('sink')) {
      assert.ok((sink.topicsOut as readonly string[]).includes('attempts'), sink.name);
    }
    assert.ok((serviceEntry('indexer').topicsIn as readonly string[]).includes('attempts'));
  });
});

describe('sources.fetch', () => {
  it("is declared with its retries, each on its own topic with the reference's schema", () => {
    const names = topicDeclarations
      .filter((d) => d.valueSchema === 'SourceLeadReference')
      .map((d) => d.name);
    assert.deepEqual(names, [
      'sources.fetch',
      ...Array.from({ length: SOURCE_FETCH_RETRIES }, (_, i) => `sources.fetch.retry.${i + 1}`),
    ]);
    assert.equal(sourceFetchRetryTopic(2, 't-x.'), 't-x.sources.fetch.retry.2');
    assert.throws(() => sourceFetchRetryTopic(SOURCE_FETCH_RETRIES + 1), RangeError);
  });
});

describe('accounts, router.held and the enricher contacts topics', () => {
  const declared = (name: string) => topicDeclarations.find((d) => d.name === name)!;

  it('keeps the latest record of every account, and lets a tombstone delete one', () => {
    const accounts = declared(Topics.accounts);
    assert.equal(accounts.valueSchema, 'Account');
    assert.equal(accounts.config['cleanup.policy'], 'compact');
    assert.equal(accounts.config['retention.ms'], undefined, 'no account ages out');
  });

  it('keeps a held lead until its release tombstones it, however long it waits', () => {
    const held = declared(Topics.held);
    assert.equal(held.valueSchema, 'QueueAssignment');
    assert.equal(held.config['cleanup.policy'], 'compact');
    assert.equal(held.config['retention.ms'], undefined, 'no held lead ages out');
    assert.ok(
      Number(held.config['delete.retention.ms']) >= 3600 * 1000,
      'tombstones outlast a rebuild',
    );
  });

  it('co-partitions the contacts changelog with the contacts it is restored for', () => {
    const contacts = declared(Topics.contacts);
    const seen = declared(Topics.contactsSeen);
    assert.deepEqual([contacts.valueSchema, seen.valueSchema], ['ContactCheck', 'ContactSeen']);
    assert.equal(seen.partitions, contacts.partitions);
    assert.equal(seen.config['cleanup.policy'], 'compact,delete');
    assert.equal(seen.config['retention.ms'], String(30 * 24 * 3600 * 1000));
  });
});

describe('privacy.erasures', () => {
  it('keeps every erasure request forever on one compacted partition every instance reads whole', () => {
    const erasures = topicDeclarations.find((d) => d.name === Topics.erasures)!;
    assert.equal(erasures.name, 'privacy.erasures');
    assert.equal(erasures.valueSchema, 'ErasureRequest');
    assert.equal(erasures.partitions, 1);
    assert.equal(erasures.config['cleanup.policy'], 'compact');
    assert.equal(erasures.config['retention.ms'], undefined, 'no request ages out');
    assert.equal(prefixedTopics('t-x.').topics.erasures, 't-x.privacy.erasures');
  });
});

import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { leadWhereabouts } from '@lead-router/testing';
import { kafkaFixture, type KafkaFixture } from './kafka-fixture';

/**
 * The failure message of a test that waited for a lead in vain: which topics carry the lead and
 * how far each of the test's consumer groups is behind.
 */
/** The keys the report lists on its "empty topics:" line. */
const emptyTopics = (lines: string[]): string[] =>
  lines
    .find((l) => l.startsWith('empty topics: '))
    ?.slice('empty topics: '.length)
    .split(', ') ?? [];

describe('leadWhereabouts: where a lead stopped', () => {
  let fx: KafkaFixture;
  before(async () => {
    fx = await kafkaFixture('whereabouts');
  });
  after(() => fx.close());

  it('counts the records that carry the lead on each topic and names each group lag', async () => {
    const record = (topic: string, key: string, text: string) => ({
      topic,
      key,
      value: Buffer.from(text),
    });
    await fx.producer.sendAll([
      record(fx.topics.raw, 'a', 'lead src-77 raw'),
      record(fx.topics.raw, 'b', 'another lead'),
      record(fx.topics.normalized, 'a', 'lead src-77 normalized'),
    ]);
    // A group that read leads.raw to its end, and one that read nothing of leads.normalized.
    const admin = fx.kafka.admin();
    await admin.connect();
    const rawEnds = await admin.fetchTopicOffsets(fx.topics.raw);
    await admin.setOffsets({
      groupId: `${fx.prefix}lead-router.normalizer`,
      topic: fx.topics.raw,
      partitions: rawEnds.map((o) => ({ partition: o.partition, offset: o.high })),
    });
    await admin.setOffsets({
      groupId: `${fx.prefix}lead-router.enricher`,
      topic: fx.topics.normalized,
      partitions: (await admin.fetchTopicOffsets(fx.topics.normalized)).map((o) => ({
        partition: o.partition,
        offset: '0',
      })),
    });
    await admin.disconnect();

    const report = await leadWhereabouts(fx.kafka, fx.prefix, fx.topics, 'src-77');
    const lines = report.split('\n');
    assert.ok(lines.includes(`raw (${fx.topics.raw}): 2 records, 1 carry src-77`), report);
    assert.ok(
      lines.includes(`normalized (${fx.topics.normalized}): 1 records, 1 carry src-77`),
      report,
    );
    assert.ok(emptyTopics(lines).includes('enriched'), report);
    assert.ok(
      lines.includes(
        `group ${fx.prefix}lead-router.normalizer (Empty, 0 members) on ${fx.topics.raw}: lag 0`,
      ),
      report,
    );
    assert.ok(
      lines.includes(
        `group ${fx.prefix}lead-router.enricher (Empty, 0 members) on ${fx.topics.normalized}: lag 1`,
      ),
      report,
    );
  });

  it('without a lead to look for, counts the records of each topic', async () => {
    const report = await leadWhereabouts(fx.kafka, fx.prefix, fx.topics);
    const lines = report.split('\n');
    assert.ok(lines.includes(`raw (${fx.topics.raw}): 2 records`), report);
    assert.ok(emptyTopics(lines).includes('enriched'), report);
    assert.ok(!report.includes(`enriched (${fx.topics.enriched})`), report);
  });
});

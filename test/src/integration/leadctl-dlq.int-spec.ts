import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { ATTEMPTS_HEADER, deadLetter } from '@lead-router/kafka';
import type { RawLead } from '@lead-router/schemas';
import { rawLeadFixture, readRaw, waitFor } from '@lead-router/testing';
import { kafkaFixture, type KafkaFixture } from './kafka-fixture';
import { runLeadctl } from './leadctl-cli.fixture';

describe('leadctl dlq', () => {
  let fx: KafkaFixture;
  let env: Record<string, string>;
  const t0 = Date.now();

  before(async () => {
    fx = await kafkaFixture('leadctl-dlq');
    env = { TOPIC_PREFIX: fx.prefix };
    const failures = [
      {
        id: 'lead-a',
        stage: 'normalizer',
        code: 'no_contact',
        topic: fx.topics.raw,
        attempts: 1,
        at: t0,
      },
      {
        id: 'lead-b',
        stage: 'normalizer',
        code: 'no_contact',
        topic: fx.topics.raw,
        attempts: 2,
        at: t0 + 10,
      },
      {
        id: 'lead-c',
        stage: 'sink-webhook',
        code: 'delivery_failed',
        topic: fx.topics.routed,
        attempts: 6,
        at: t0 + 20,
      },
    ];
    await fx.producer.sendAll(
      failures.map((f, i) => ({
        topic: fx.topics.dlq,
        key: f.id,
        value: fx.codec.encode(
          fx.topics.dlq,
          deadLetter(
            f.stage,
            {
              topic: f.topic,
              partition: 0,
              offset: String(40 + i),
              key: Buffer.from(f.id),
              value: fx.codec.encode(
                fx.topics.raw,
                rawLeadFixture({ lead_id: f.id, email: 'not-an-email', phone: null }),
              ),
              headers: { 'x-trace': `t-${f.id}` },
            },
            { code: f.code, error: `${f.code} for ${f.id}`, attempts: f.attempts, leadId: f.id },
            f.at,
          ),
        ),
      })),
    );
  });
  after(() => fx.close());

  it('inspect lists dead letters newest first, filtered, as text or JSON', async () => {
    const all = await runLeadctl(['dlq', 'inspect'], env);
    assert.equal(all.code, 0, all.stderr);
    const lines = all.stdout.trim().split('\n');
    assert.equal(lines.at(-1), '3 dead letters');
    assert.match(
      lines[0]!,
      /sink-webhook {2}delivery_failed {2}lead lead-c {2}.*leads\.routed\[0\]@42 {2}attempts 6: delivery_failed for lead-c$/,
    );

    const json = await runLeadctl(['dlq', 'inspect', '--stage', 'normalizer', '--json'], env);
    assert.equal(json.code, 0, json.stderr);
    const entries = json.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    assert.deepEqual(
      entries.map((e) => [e['lead_id'], e['code'], e['attempts'], e['source']]),
      [
        ['lead-b', 'no_contact', 2, { topic: fx.topics.raw, partition: 0, offset: '41' }],
        ['lead-a', 'no_contact', 1, { topic: fx.topics.raw, partition: 0, offset: '40' }],
      ],
    );
    const limited = await runLeadctl(
      ['dlq', 'inspect', '--limit', '1', '--code', 'no_contact'],
      env,
    );
    assert.match(limited.stdout, /lead lead-b[\s\S]*1 dead letter\n$/);
    const bad = await runLeadctl(['dlq', 'inspect', '--limit', 'lots'], env);
    assert.equal(bad.code, 2);
  });

  it('replay re-produces the original key, value and headers with lr-attempts; --dry-run produces nothing', async () => {
    const dry = await runLeadctl(['dlq', 'replay', '--stage', 'normalizer', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /2 records would be replayed\n$/);
    assert.equal((await readRaw(fx.kafka, fx.topics.raw)).length, 0);

    const run = await runLeadctl(
      ['dlq', 'replay', '--stage', 'normalizer', '--code', 'no_contact'],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.equal(run.stdout, 'replayed 2 records\n');

    const replayed = await readRaw(fx.kafka, fx.topics.raw);
    assert.equal(replayed.length, 2);
    const byKey = new Map(replayed.map((r) => [r.key, r.message]));
    for (const [id, attempts] of [
      ['lead-a', '1'],
      ['lead-b', '2'],
    ] as const) {
      const m = byKey.get(id);
      assert.ok(m, `${id} is back on ${fx.topics.raw}`);
      assert.equal(m.headers?.[ATTEMPTS_HEADER]?.toString(), attempts);
      assert.equal(m.headers?.['x-trace']?.toString(), `t-${id}`);
      const lead = await fx.codec.decode<RawLead>(m.value, 'RawLead');
      assert.equal(lead.lead_id, id);
    }
    assert.equal(
      (await readRaw(fx.kafka, fx.topics.routed)).length,
      0,
      'the sink record was not selected',
    );
  });
});

describe('leadctl replay', () => {
  let fx: KafkaFixture;
  let env: Record<string, string>;

  before(async () => {
    fx = await kafkaFixture('leadctl-replay');
    env = { TOPIC_PREFIX: fx.prefix };
    await fx.producer.sendAll(
      ['r1', 'r2', 'r3', 'r4'].map((id) => ({
        topic: fx.topics.raw,
        key: id,
        value: fx.codec.encode(
          fx.topics.raw,
          rawLeadFixture({ lead_id: id, email: 'not-an-email', phone: null }),
        ),
      })),
    );
  });
  after(() => fx.close());

  const committed = async (groupId: string) => {
    const admin = fx.kafka.admin();
    await admin.connect();
    try {
      const [topic] = await admin.fetchOffsets({ groupId, topics: [fx.topics.raw] });
      return topic!.partitions.reduce((sum, p) => sum + Math.max(0, Number(p.offset)), 0);
    } finally {
      await admin.disconnect();
    }
  };

  it('moves a stopped group back to the earliest offsets', async () => {
    const groupId = `${fx.prefix}stopped-stage`;
    const admin = fx.kafka.admin();
    await admin.connect();
    const high = await admin.fetchTopicOffsets(fx.topics.raw);
    await admin.setOffsets({
      groupId,
      topic: fx.topics.raw,
      partitions: high.map((p) => ({ partition: p.partition, offset: p.high })),
    });
    await admin.disconnect();
    assert.equal(await committed(groupId), 4);

    const run = await runLeadctl(
      ['replay', '--group', groupId, '--topic', 'leads.raw', '--to-earliest'],
      env,
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /will resume .*leads\.raw from the earliest offsets/);
    assert.equal(await committed(groupId), 0);

    const future = await runLeadctl(
      [
        'replay',
        '--group',
        groupId,
        '--topic',
        'leads.raw',
        '--to-time',
        new Date(Date.now() + 3600_000).toISOString(),
      ],
      env,
    );
    assert.equal(future.code, 0, future.stderr);
    assert.equal(await committed(groupId), 4, 'a time after the last record moves to the end');

    const both = await runLeadctl(['replay', '--group', groupId, '--topic', 'leads.raw'], env);
    assert.equal(both.code, 2);
  });

  it('refuses while the group has active members', async () => {
    const groupId = `${fx.prefix}running-stage`;
    const consumer = fx.kafka.consumer({ groupId, sessionTimeout: 6000, heartbeatInterval: 500 });
    let joined = false;
    consumer.on(consumer.events.GROUP_JOIN, () => (joined = true));
    await consumer.connect();
    await consumer.subscribe({ topic: fx.topics.raw, fromBeginning: true });
    await consumer.run({ eachMessage: async () => undefined });
    try {
      await waitFor(() => joined, { timeoutMs: 30_000, what: 'the consumer joined its group' });
      const run = await runLeadctl(
        ['replay', '--group', groupId, '--topic', 'leads.raw', '--to-earliest'],
        env,
      );
      assert.equal(run.code, 1);
      assert.match(run.stderr, /has 1 active member .*stop its consumers first/);
    } finally {
      await consumer.disconnect();
    }
  });
});

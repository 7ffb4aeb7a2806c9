import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { deadLetter, StageRunner, type StageDefinition } from '@lead-router/kafka';
import { normalize } from '@lead-router/normalize';
import { createLogger, createRegistry, createStageMetrics } from '@lead-router/observability';
import { emailDigest, erasureRequestFor, personOf, SuppressionList } from '@lead-router/privacy';
import type { ErasureRequest, RawLead } from '@lead-router/schemas';
import { rawLeadFixture, readRaw, readTopic, waitFor } from '@lead-router/testing';
import { kafkaFixture, stageDeps, type KafkaFixture } from './kafka-fixture';
import { runLeadctl } from './leadctl-cli.fixture';

const logger = createLogger('test-suppression', 'silent');

/** The number of offsets the group committed on the topic, over all partitions. */
async function committed(fx: KafkaFixture, groupId: string, topic: string): Promise<number> {
  const admin = fx.kafka.admin();
  await admin.connect();
  try {
    const [offsets] = await admin.fetchOffsets({ groupId, topics: [topic] });
    return offsets!.partitions.reduce((n, p) => n + Math.max(0, Number(p.offset)), 0);
  } finally {
    await admin.disconnect();
  }
}

async function publish(fx: KafkaFixture, requests: ErasureRequest[]): Promise<void> {
  await fx.producer.sendAll(
    requests.map((r) => ({
      topic: fx.topics.erasures,
      key: r.subject_key,
      value: fx.codec.encode(fx.topics.erasures, r),
    })),
  );
}

async function produceRaw(fx: KafkaFixture, leads: RawLead[]): Promise<void> {
  await fx.producer.sendAll(
    leads.map((lead) => ({
      topic: fx.topics.raw,
      key: lead.lead_id,
      value: fx.codec.encode(fx.topics.raw, lead),
    })),
  );
}

describe('a stage with the suppression list', () => {
  let fx: KafkaFixture;
  let list: SuppressionList;
  const requestedAt = Date.now();
  const before_ = requestedAt - 60_000;

  before(async () => {
    fx = await kafkaFixture('suppression');
    await publish(fx, [
      erasureRequestFor({ leadId: 'forgotten-by-id', now: requestedAt }),
      erasureRequestFor({ email: 'gone@analytical-engines.com', now: requestedAt }),
    ]);
  });
  after(async () => {
    await list?.stop();
    await fx.close();
  });

  /** The normalizer's work, skipping as every service's stages do. */
  const stage = (groupId: string, exactlyOnce = false): StageDefinition<RawLead> => ({
    stage: 'suppression-test',
    groupId,
    topic: fx.topics.raw,
    schema: 'RawLead',
    dlqTopic: fx.topics.dlq,
    leadIdOf: (lead) => lead.lead_id,
    exactlyOnce,
    handle: (lead) => {
      const result = normalize(lead, Date.now());
      if (!result.ok) return { kind: 'dead', code: 'invalid', error: 'not normalizable' };
      return {
        kind: 'ok',
        outputs: [{ topic: fx.topics.normalized, key: lead.lead_id, value: result.value }],
      };
    },
  });

  const runner = (
    def: StageDefinition<RawLead>,
    metrics = createStageMetrics(createRegistry('t')),
  ) =>
    new StageRunner(
      def,
      stageDeps(fx, { metrics, logger, skip: (input) => list.suppresses(personOf(input)) }),
    );

  /** The lead ids the stage handed on to leads.normalized, sorted. */
  const handled = async () =>
    (await readRaw(fx.kafka, fx.topics.normalized)).map((r) => r.key).sort();

  it('skips a forgotten lead id and an email received up to the request, and a request made while it runs', async () => {
    list = await SuppressionList.start({
      kafka: fx.kafka,
      codec: fx.codec,
      topic: fx.topics.erasures,
      logger,
      groupPrefix: fx.prefix,
    });
    assert.equal(list.size, 2, 'both requests read before start resolved');
    await produceRaw(fx, [
      rawLeadFixture({ lead_id: 'kept-1', email: 'grace@analytical-engines.com' }),
      rawLeadFixture({ lead_id: 'forgotten-by-id', email: 'someone@analytical-engines.com' }),
      // The same address as the request, as a form may send it: one digest.
      rawLeadFixture({
        lead_id: 'forgotten-by-email',
        email: ' gone@ANALYTICAL-engines.com ',
        received_at: before_,
      }),
      // Only in the attributes, where the normalizer finds it.
      rawLeadFixture({
        lead_id: 'forgotten-by-attribute',
        email: null,
        attributes: { 'Email Address': 'gone@analytical-engines.com' },
        received_at: before_,
      }),
      // Submitted again after the request: a new lead with new consent.
      rawLeadFixture({
        lead_id: 'submitted-again',
        email: 'gone@analytical-engines.com',
        received_at: requestedAt + 60_000,
      }),
    ]);
    const groupId = `${fx.prefix}stage`;
    const metrics = createStageMetrics(createRegistry('t'));
    const sut = runner(stage(groupId), metrics);
    await sut.start();
    try {
      await waitFor(async () => (await committed(fx, groupId, fx.topics.raw)) === 5, {
        timeoutMs: 60_000,
        what: 'all 5 offsets committed, the skipped ones included',
      });
      assert.deepEqual(await handled(), ['kept-1', 'submitted-again']);
      const text = await metrics.registry.metrics();
      assert.match(text, /lead_router_records_total\{[^}]*outcome="erased"[^}]*\} 3/);
      assert.match(text, /lead_router_records_total\{[^}]*outcome="ok"[^}]*\} 2/);

      // A request published while the stage runs takes effect within a fetch.
      const published = Date.now();
      await publish(fx, [erasureRequestFor({ leadId: 'forgotten-later', now: published })]);
      await waitFor(() => list.has('forgotten-later'), {
        timeoutMs: 5_000,
        what: 'the later request reached the list',
      });
      const tookMs = Date.now() - published;
      assert.ok(tookMs < 2_000, `the later request took ${tookMs} ms to apply`);
      await produceRaw(fx, [
        rawLeadFixture({ lead_id: 'forgotten-later', email: 'late@analytical-engines.com' }),
        rawLeadFixture({ lead_id: 'kept-2', email: 'ada@analytical-engines.com' }),
      ]);
      await waitFor(async () => (await committed(fx, groupId, fx.topics.raw)) === 7, {
        timeoutMs: 60_000,
        what: 'all 7 offsets committed',
      });
      assert.deepEqual(await handled(), ['kept-1', 'kept-2', 'submitted-again']);
    } finally {
      await sut.stop();
    }
  });

  it('skips them again on a replay from the start, committing the skipped offsets in its transactions', async () => {
    const groupId = `${fx.prefix}replay`;
    const sut = runner(stage(groupId, true));
    await sut.start();
    try {
      await waitFor(async () => (await committed(fx, groupId, fx.topics.raw)) === 7, {
        timeoutMs: 60_000,
        what: 'the replay committed all 7 offsets',
      });
    } finally {
      await sut.stop();
    }
    const after = await handled();
    assert.deepEqual(
      [...new Set(after)],
      ['kept-1', 'kept-2', 'submitted-again'],
      'no forgotten lead handled on the replay',
    );
    assert.equal(after.length, 6, 'each kept lead handled once more');
    assert.equal(
      (await readRaw(fx.kafka, fx.topics.dlq)).length,
      0,
      'a skipped record leaves no dead letter',
    );
  });
});

describe('leadctl forget', () => {
  let fx: KafkaFixture;
  let env: Record<string, string>;

  before(async () => {
    fx = await kafkaFixture('forget');
    env = { TOPIC_PREFIX: fx.prefix };
  });
  after(() => fx.close());

  it('publishes the request keyed by its subject, without the raw email anywhere', async () => {
    const email = 'Ada Lovelace <ada@ANALYTICAL-engines.com>';
    const digest = emailDigest('ada@analytical-engines.com')!;
    const run = await runLeadctl(['forget', '--email', email, '--reason', 'DSR-42'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, new RegExp(`^forget email:${digest} {2}requested \\S+Z by .*DSR-42`));
    assert.match(run.stdout, /every stage skips/);
    assert.match(run.stdout, /ERASURE_REQUESTED/);
    assert.ok(!/ada@/i.test(run.stdout + run.stderr), 'the email is never echoed');

    const byLead = await runLeadctl(['forget', '--lead', 'lead-7', '--requested-by', 'ops'], env);
    assert.equal(byLead.code, 0, byLead.stderr);

    const records = await readTopic<ErasureRequest>(
      fx.kafka,
      fx.codec,
      fx.topics.erasures,
      'ErasureRequest',
    );
    assert.deepEqual(
      records.map((r) => [r.key, r.value.email_sha256, r.value.lead_id, r.value.reason]),
      [
        [`email:${digest}`, digest, null, 'DSR-42'],
        ['lead:lead-7', null, 'lead-7', null],
      ],
    );
    assert.equal(records[1]!.value.requested_by, 'ops');
    const raw = (await readRaw(fx.kafka, fx.topics.erasures)).map((r) =>
      r.message.value!.toString('latin1'),
    );
    assert.ok(
      raw.every((bytes) => !/ada@/i.test(bytes)),
      'no raw email on the topic',
    );

    const listed = await runLeadctl(['forget', '--list'], env);
    assert.equal(listed.code, 0, listed.stderr);
    assert.match(
      listed.stdout,
      new RegExp(`email:${digest}[\\s\\S]*lead:lead-7[\\s\\S]*2 erasure requests\\n$`),
    );
  });

  it('refuses neither, both, and an address that is no email, with usage errors', async () => {
    for (const args of [
      ['forget'],
      ['forget', '--email', 'ada@x.io', '--lead', 'l-1'],
      ['forget', '--email', 'not-an-email'],
      ['forget', '--email', 'ada@x.io', '--reason', 'asked by ada@x.io'],
    ]) {
      const run = await runLeadctl(args, env);
      assert.equal(run.code, 2, `${args.join(' ')}: ${run.stderr}`);
      assert.match(run.stderr, /^leadctl: /);
    }
    const bad = await runLeadctl(['forget', '--email', 'not-an-email'], env);
    assert.match(bad.stderr, /--email: not an email address/);
    assert.ok(!bad.stderr.includes('not-an-email'), 'the input is not echoed');
  });
});

describe('leadctl dlq replay with erasure requests', () => {
  let fx: KafkaFixture;
  let env: Record<string, string>;

  before(async () => {
    fx = await kafkaFixture('forget-dlq');
    env = { TOPIC_PREFIX: fx.prefix };
    const letters = [
      { id: 'lead-forgotten', email: 'kept@analytical-engines.com', leadId: 'lead-forgotten' },
      // A record that failed before a lead id was known: its value names the person.
      { id: 'lead-by-email', email: 'gone@analytical-engines.com', leadId: null },
      { id: 'lead-kept', email: 'kept@analytical-engines.com', leadId: 'lead-kept' },
    ];
    await fx.producer.sendAll(
      letters.map((l, i) => ({
        topic: fx.topics.dlq,
        key: l.id,
        value: fx.codec.encode(
          fx.topics.dlq,
          deadLetter(
            'normalizer',
            {
              topic: fx.topics.raw,
              partition: 0,
              offset: String(i),
              key: Buffer.from(l.id),
              value: fx.codec.encode(
                fx.topics.raw,
                rawLeadFixture({ lead_id: l.id, email: l.email, received_at: Date.now() - 1000 }),
              ),
              headers: {},
            },
            { code: 'no_contact', error: 'test', attempts: 1, leadId: l.leadId },
            Date.now() + i,
          ),
        ),
      })),
    );
  });
  after(() => fx.close());

  it("re-produces no forgotten person's record and says how many it skipped; replay names the requests in force", async () => {
    for (const args of [
      ['forget', '--lead', 'lead-forgotten'],
      ['forget', '--email', 'gone@analytical-engines.com'],
    ]) {
      const run = await runLeadctl(args, env);
      assert.equal(run.code, 0, run.stderr);
    }
    const dry = await runLeadctl(['dlq', 'replay', '--dry-run'], env);
    assert.equal(dry.code, 0, dry.stderr);
    assert.match(dry.stdout, /^would replay .* lead lead-kept /);
    assert.match(
      dry.stdout,
      /1 record would be replayed; skipped 2 of a person who asked to be forgotten/,
    );

    const run = await runLeadctl(['dlq', 'replay'], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      'replayed 1 record; skipped 2 of a person who asked to be forgotten (leadctl forget)\n',
    );
    const reset = await runLeadctl(
      ['replay', '--group', `${fx.prefix}stopped`, '--topic', 'leads.raw', '--to-earliest'],
      env,
    );
    assert.equal(reset.code, 0, reset.stderr);
    assert.match(
      reset.stdout,
      /\n2 erasure requests in force \(leadctl forget --list\): the stage skips/,
    );

    const replayed = await readRaw(fx.kafka, fx.topics.raw);
    assert.deepEqual(
      replayed.map((r) => r.key),
      ['lead-kept'],
    );
  });
});

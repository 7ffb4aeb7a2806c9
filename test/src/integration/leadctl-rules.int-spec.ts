import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { publishRuleSet, simulateWindow } from '@lead-router/rules-admin';
import type { RuleSetVersion } from '@lead-router/schemas';
import { enrichedLeadFixture, readTopic } from '@lead-router/testing';
import { Partitioners } from 'kafkajs';
import { kafkaFixture, type KafkaFixture } from './kafka-fixture';
import { runLeadctl } from './leadctl-cli.fixture';

const repoRoot = resolve(__dirname, '..', '..', '..');
const demoYaml = readFileSync(join(repoRoot, 'deploy', 'local', 'rules', 'demo.yaml'), 'utf8');
const dir = mkdtempSync(join(tmpdir(), 'leadctl-rules-'));
const file = (name: string, text: string): string => {
  const path = join(dir, name);
  writeFileSync(path, text);
  return path;
};
const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

/** The demo rule set with every German business lead sent to the Americas queue instead. */
const candidateYaml = demoYaml
  .replace("version: '2026-12-01.2'", "version: '2026-12-01.3'")
  .replace(
    '  - name: emea-business\n',
    '  - name: de-to-americas\n    when: { path: lead.country, eq: DE }\n    queue: americas-sales\n' +
      '    destinations: [demo-inbox]\n  - name: emea-business\n',
  );

const badYaml = `id: demo
version: '1'
destinations:
  inbox: { type: webhook, url: 'http://localhost:1/in' }
queues:
  q:
    method: round_robin
    when_unavailable: { hold: true }
    members:
      - { id: a, owners: { inbox: '1' } }
rules:
  - name: r1
    when: { path: lead.country, equals: DE }
    queue: nope
    destinations: [inbox]
fallback:
  queue: q
  destinations: [inbox]
`;

describe('leadctl rules', () => {
  let fx: KafkaFixture;
  let env: Record<string, string>;

  before(async () => {
    fx = await kafkaFixture('leadctl-rules');
    env = { TOPIC_PREFIX: fx.prefix };
  });
  after(() => fx.close());

  it('validate reports every issue with file, line and column, and exits 1', async () => {
    const bad = file('bad.yaml', badYaml);
    const run = await runLeadctl(['rules', 'validate', bad], env);
    assert.equal(run.code, 1, run.stderr);
    const lines = run.stdout.trim().split('\n');
    assert.ok(lines.includes(`${bad}:13:11  rules[0].when: unknown key "equals"`), run.stdout);
    assert.ok(
      lines.every((l) => l.startsWith(`${bad}:`)),
      run.stdout,
    );
    assert.match(run.stderr, /invalid: \d+ issues/);

    const good = await runLeadctl(['rules', 'validate', file('demo.yaml', demoYaml)], env);
    assert.equal(good.code, 0, good.stderr);
    assert.equal(good.stdout, 'ok: demo 2026-12-01.2, 6 rules\n');

    const usage = await runLeadctl(['rules', 'validate'], env);
    assert.equal(usage.code, 2);
  });

  it('publish writes the version once; the same content again is a no-op; other content under the same version is refused', async () => {
    const demo = file('demo.yaml', demoYaml);
    const first = await runLeadctl(['rules', 'publish', demo, '--by', 'revops@test'], env);
    assert.equal(first.code, 0, first.stderr);
    assert.match(first.stdout, /^published demo 2026-12-01\.2 to .*routing\.rules/);

    const read = () =>
      readTopic<RuleSetVersion>(fx.kafka, fx.codec, fx.topics.rules, 'RuleSetVersion');
    let records = await read();
    assert.equal(records.length, 1);
    assert.equal(records[0]!.key, 'demo');
    assert.equal(records[0]!.value.yaml, demoYaml);
    assert.equal(records[0]!.value.sha256, sha256(demoYaml));
    assert.equal(records[0]!.value.version, '2026-12-01.2');
    assert.equal(records[0]!.value.published_by, 'revops@test');

    const again = await runLeadctl(['rules', 'publish', demo], env);
    assert.equal(again.code, 0, again.stderr);
    assert.match(again.stdout, /^unchanged: demo 2026-12-01\.2/);

    const tampered = file(
      'tampered.yaml',
      demoYaml.replace("id: 'alice'", "id: 'alice'") + '# edited\n',
    );
    const refused = await runLeadctl(['rules', 'publish', tampered], env);
    assert.equal(refused.code, 1);
    assert.match(refused.stderr, /already published with other content.*new version/);

    records = await read();
    assert.equal(records.length, 1, 'neither the no-op nor the refusal wrote a record');
  });

  it('diff compares files and the published version', async () => {
    const candidate = file('candidate.yaml', candidateYaml);
    const run = await runLeadctl(['rules', 'diff', 'published:demo', candidate], env);
    assert.equal(run.code, 0, run.stderr);
    assert.equal(
      run.stdout,
      'Version 2026-12-01.2 -> 2026-12-01.3.\nRule "de-to-americas" added at position 2.\n',
    );
    const same = await runLeadctl(['rules', 'diff', candidate, candidate], env);
    assert.equal(same.stdout, 'No changes.\n');
    const missing = await runLeadctl(['rules', 'diff', 'published:nope', candidate], env);
    assert.equal(missing.code, 1);
    assert.match(missing.stderr, /no version of rule set nope is published/);
  });
});

describe('leadctl rules simulate over a known history', () => {
  let fx: KafkaFixture;
  const from = Math.floor((Date.now() - 3 * 3600_000) / 1000) * 1000;
  const to = from + 60_000;
  // In the window, in time order. Baseline: emea-sales alternates alice/bruno over DE and FR,
  // americas-sales carmen/dave over US. Candidate: DE business leads go to americas-sales.
  const inWindow: [string, string, boolean][] = [
    ['DE1', 'DE', false],
    ['FR1', 'FR', false],
    ['DE2', 'DE', false],
    ['US1', 'US', false],
    ['DE3', 'DE', false],
    ['FR2', 'FR', false],
    ['DE4', 'DE', false],
    ['DE-free', 'DE', true],
    ['US2', 'US', false],
  ];
  const outside: [string, number][] = [
    ['early-DE1', from - 1_800_000],
    ['early-DE2', from - 1_200_000],
    ['early-DE3', from - 1],
    ['late-DE1', to],
    ['late-DE2', to + 60_000],
  ];

  before(async () => {
    fx = await kafkaFixture('leadctl-sim');
    const producer = fx.kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
    const message = (id: string, country: string, free: boolean, at: number) => {
      const domain = free ? 'gmail.com' : 'acme.io';
      const lead = enrichedLeadFixture({
        lead: {
          lead_id: id,
          country,
          email: `${id}@${domain}`,
          received_at: at,
          normalized_at: at,
        },
        enrichment: {
          email_domain: domain,
          company_domain: free ? null : domain,
          free_mail: free,
          enriched_at: at,
        },
      });
      return { key: id, value: fx.codec.encode(fx.topics.enriched, lead), timestamp: String(at) };
    };
    await producer.send({
      topic: fx.topics.enriched,
      acks: -1,
      messages: [
        ...outside
          .filter(([id]) => id.startsWith('early'))
          .map(([id, at]) => message(id, 'DE', false, at)),
        ...inWindow.map(([id, country, free], i) => message(id, country, free, from + i * 1000)),
        ...outside
          .filter(([id]) => id.startsWith('late'))
          .map(([id, at]) => message(id, 'DE', false, at)),
      ],
    });
    await producer.disconnect();
    const published = await publishRuleSet(
      { kafka: fx.kafka, codec: fx.codec, topicPrefix: fx.prefix, producer: fx.producer },
      demoYaml,
    );
    assert.equal(published.published, true);
  });
  after(() => fx.close());

  it('counts exactly the window: changed queue, per rule, per member, with the right samples', async () => {
    const { report } = await simulateWindow(
      { kafka: fx.kafka, codec: fx.codec, topicPrefix: fx.prefix },
      candidateYaml,
      { from: new Date(from), to: new Date(to) },
    );
    assert.deepEqual(report.baseline, { id: 'demo', version: '2026-12-01.2' });
    assert.deepEqual(report.candidate, { id: 'demo', version: '2026-12-01.3' });
    assert.equal(report.leads, 9, 'the five leads outside [from, to) are not counted');
    assert.equal(report.changedQueue, 4);
    assert.equal(report.changedOwner, 6);
    assert.equal(report.unchanged, 3);
    assert.deepEqual(report.queueMoves, [
      { from: 'emea-sales', to: 'americas-sales', leads: 4, samples: ['DE1', 'DE2', 'DE3', 'DE4'] },
    ]);
    const rule = (name: string) => report.byRule.find((r) => r.rule === name);
    assert.deepEqual(rule('de-to-americas'), {
      rule: 'de-to-americas',
      baseline: 0,
      candidate: 4,
      changedQueue: 4,
      changedOwner: 4,
      samples: ['DE1', 'DE2', 'DE3', 'DE4'],
    });
    assert.deepEqual(rule('emea-business'), {
      rule: 'emea-business',
      baseline: 6,
      candidate: 2,
      changedQueue: 0,
      changedOwner: 2,
      samples: ['FR1', 'FR2'],
    });
    assert.deepEqual(
      [rule('americas-business')?.candidate, rule('americas-business')?.changedOwner],
      [2, 0],
    );
    assert.deepEqual(
      [rule('free-mail-to-self-serve')?.candidate, rule('free-mail-to-self-serve')?.changedOwner],
      [1, 0],
    );
    const member = (assignee: string) => {
      const m = report.byMember.find((b) => b.assignee === assignee);
      return m && [m.baseline, m.candidate, m.gained, m.lost, m.samples];
    };
    assert.deepEqual(member('emea-sales/alice'), [3, 1, 1, 3, ['DE1', 'FR1', 'DE2', 'FR2']]);
    assert.deepEqual(member('emea-sales/bruno'), [3, 1, 1, 3, ['FR1', 'DE3', 'FR2', 'DE4']]);
    assert.deepEqual(member('americas-sales/carmen'), [1, 3, 2, 0, ['DE1', 'DE4']]);
    assert.deepEqual(member('americas-sales/dave'), [1, 3, 2, 0, ['DE2', 'DE3']]);
    assert.deepEqual(member('self-serve/erin'), [1, 1, 0, 0, []]);
  });

  it('prints the same summary from the command line, against the published baseline', async () => {
    const run = await runLeadctl(
      [
        'rules',
        'simulate',
        file('sim-candidate.yaml', candidateYaml),
        '--from',
        new Date(from).toISOString(),
        '--to',
        new Date(to).toISOString(),
      ],
      { TOPIC_PREFIX: fx.prefix },
    );
    assert.equal(run.code, 0, run.stderr);
    assert.match(run.stdout, /baseline: the published version\./);
    assert.match(
      run.stdout,
      /Simulated 9 leads: candidate demo 2026-12-01\.3 against demo 2026-12-01\.2\./,
    );
    assert.match(
      run.stdout,
      /4 \(44\.4%\) would go to another queue, 6 \(66\.7%\) to another owner; 3 unchanged\./,
    );
    assert.match(run.stdout, /emea-sales -> americas-sales: 4 e\.g\. DE1, DE2, DE3, DE4/);
    assert.match(run.stdout, /de-to-americas: 0 -> 4; 4 \/ 4 changed/);

    const all = await runLeadctl(
      [
        'rules',
        'simulate',
        file('sim-candidate.yaml', candidateYaml),
        '--from',
        new Date(from - 3_600_000).toISOString(),
      ],
      { TOPIC_PREFIX: fx.prefix },
    );
    assert.equal(all.code, 0, all.stderr);
    assert.match(all.stdout, /Simulated 14 leads/, 'without --to the window runs to the end');
  });
});

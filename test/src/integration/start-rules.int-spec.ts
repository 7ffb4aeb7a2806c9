import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { before, describe, it } from 'node:test';
import { AvroCodec, createKafka } from '@lead-router/kafka';
import { publishStartRules } from '@lead-router/local-stack';
import { createLogger } from '@lead-router/observability';
import { prefixedTopics, type RuleSetVersion } from '@lead-router/schemas';
import { readTopic, testStack, uniquePrefix } from '@lead-router/testing';
import { ConfigResourceTypes, type Kafka } from 'kafkajs';
import { runLeadctl } from './leadctl-cli.fixture';

const repoRoot = resolve(__dirname, '..', '..', '..');
const demoFile = join(repoRoot, 'deploy', 'local', 'rules', 'demo.yaml');
const demoYaml = readFileSync(demoFile, 'utf8');

const fresh = (name: string) => {
  // A prefix no topic exists under yet, as on a fresh `npm start`.
  const prefix = uniquePrefix(name);
  return { prefix, topics: prefixedTopics(prefix).topics, env: { TOPIC_PREFIX: prefix } };
};

describe('npm start publishes the demo rule set before the router starts', () => {
  let kafka: Kafka;
  let codec: AvroCodec;
  let options: (topicPrefix: string) => Parameters<typeof publishStartRules>[0];
  let candidate: string;

  before(async () => {
    const stack = await testStack();
    kafka = createKafka({
      brokers: stack.brokers,
      clientId: 'test-start-rules',
      logger: createLogger('test-start-rules', 'warn'),
    });
    codec = AvroCodec.connect(stack.registryUrl);
    options = (topicPrefix) => ({
      brokers: stack.brokers.join(','),
      registryUrl: stack.registryUrl,
      file: demoFile,
      topicPrefix,
    });
    candidate = join(mkdtempSync(join(tmpdir(), 'start-rules-')), 'cand.yaml');
    writeFileSync(
      candidate,
      demoYaml.replace("version: '2026-12-01.2'", "version: '2026-12-01.3'"),
    );
  });

  it("gives a newcomer's first simulate a published baseline; a second start writes nothing", async () => {
    const { prefix, topics, env } = fresh('start-rules');
    const simulate = () => runLeadctl(['rules', 'simulate', candidate, '--from', '-10m'], env);
    const setup = await runLeadctl(['topics', 'setup'], env);
    assert.equal(setup.code, 0, setup.stderr);
    const unpublished = await simulate();
    assert.equal(unpublished.code, 1, 'without the start step nothing is published');
    assert.match(unpublished.stderr, /no version of rule set demo is published/);

    const printed = await publishStartRules(options(prefix));
    assert.match(
      printed,
      new RegExp(
        `^published demo 2026-12-01\\.2 to ${topics.rules.replace(/\./g, '\\.')} \\(sha256 `,
      ),
    );
    const read = () => readTopic<RuleSetVersion>(kafka, codec, topics.rules, 'RuleSetVersion');
    const records = await read();
    assert.equal(records.length, 1);
    assert.equal(records[0]!.value.yaml, demoYaml);
    assert.equal(records[0]!.value.published_by, 'npm start');

    const again = await publishStartRules(options(prefix));
    assert.match(again, /^unchanged: demo 2026-12-01\.2 is already published with this content/);
    assert.equal((await read()).length, 1, 'the second start wrote nothing');

    const published = await simulate();
    assert.equal(published.code, 0, published.stderr);
    assert.match(published.stdout, /baseline: the published version\./);
    assert.match(published.stdout, /candidate demo 2026-12-01\.3 against demo 2026-12-01\.2\./);
  });

  it('creates the topics first, so routing.rules is the declared compacted topic', async () => {
    const { prefix, topics } = fresh('start-rules-topics');
    await publishStartRules(options(prefix));
    const admin = kafka.admin();
    await admin.connect();
    try {
      const described = await admin.describeConfigs({
        includeSynonyms: false,
        resources: [
          { type: ConfigResourceTypes.TOPIC, name: topics.rules, configNames: ['cleanup.policy'] },
        ],
      });
      assert.equal(described.resources[0]?.configEntries[0]?.configValue, 'compact');
      const existing = await admin.listTopics();
      assert.ok(existing.includes(topics.enriched) && existing.includes(topics.routed));
    } finally {
      await admin.disconnect();
    }
  });
});

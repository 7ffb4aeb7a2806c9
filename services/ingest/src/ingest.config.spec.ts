import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DEMO_MODE_ENV } from '@lead-router/config';
import { sha256Hex } from '@lead-router/capture';
import { DEMO_API_KEY, loadIngestConfig } from './ingest.config';

const production = {
  KAFKA_BROKERS: 'kafka-1:9092',
  SCHEMA_REGISTRY_URL: 'https://registry.example.com',
  KAFKA_SECURITY_PROTOCOL: 'PLAINTEXT',
};

const problemsOf = (env: Record<string, string>): string[] => {
  try {
    loadIngestConfig(env);
  } catch (error) {
    assert.ok(error instanceof ConfigError);
    return [...error.problems];
  }
  return [];
};

describe('loadIngestConfig and the run mode', () => {
  it('accepts the demo key by default in demo mode', () => {
    const sut = loadIngestConfig({ ...DEMO_MODE_ENV });
    assert.equal(sut.platform.mode, 'demo');
    assert.equal(sut.apiKeys.get(sha256Hex(DEMO_API_KEY)), 'web-form');
  });

  it('needs its own API keys outside demo mode', () => {
    const problems = problemsOf(production);
    assert.deepEqual(
      problems.map((p) => p.split(':')[0]),
      ['INGEST_API_KEYS'],
    );
    assert.match(problems[0]!, /not set; ingest needs its own API keys/);
  });

  it('refuses the demo key outside demo mode, as itself or hashed, among other keys', () => {
    for (const demo of [DEMO_API_KEY, `sha256:${sha256Hex(DEMO_API_KEY)}`]) {
      const problems = problemsOf({
        ...production,
        INGEST_API_KEYS: `k3y-own:crm,${demo}:web-form`,
      });
      assert.equal(problems.length, 1);
      assert.match(problems[0]!, /^INGEST_API_KEYS: the demo secret/);
      assert.doesNotMatch(problems[0]!, new RegExp(DEMO_API_KEY));
    }
  });

  it('starts outside demo mode with its own keys', () => {
    const sut = loadIngestConfig({ ...production, INGEST_API_KEYS: 'k3y-own:web-form' });
    assert.equal(sut.platform.mode, 'production');
    assert.equal(sut.apiKeys.get(sha256Hex('k3y-own')), 'web-form');
  });
});

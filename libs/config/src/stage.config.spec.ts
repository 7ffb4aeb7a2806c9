import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError } from './config.loader';
import { DEMO_MODE_ENV } from './run-mode';
import { loadStageConfig } from './stage.config';

const load = (env: Record<string, string>) =>
  loadStageConfig('normalizer', 8181, undefined, { ...DEMO_MODE_ENV, ...env });

describe('loadStageConfig: the consumer settings', () => {
  it('waits on an empty fetch as long as the Java client does unless told, and as told', () => {
    assert.equal(load({}).fetchMaxWaitMs, 500);
    assert.equal(load({ KAFKA_FETCH_MAX_WAIT_MS: '100' }).fetchMaxWaitMs, 100);
    assert.equal(load({}).sessionTimeoutMs, 30_000);
  });

  it('refuses a fetch wait that is no number or out of range, naming the key', () => {
    for (const bad of ['soon', '0', '60000']) {
      assert.throws(
        () => load({ KAFKA_FETCH_MAX_WAIT_MS: bad }),
        (err: unknown) =>
          err instanceof ConfigError &&
          err.problems.some((p) => p.startsWith('KAFKA_FETCH_MAX_WAIT_MS')),
      );
    }
  });

  it('cuts exactly-once transactions per process (v2) unless told v1, and refuses anything else', () => {
    assert.equal(load({}).exactlyOnceVersion, 'v2');
    assert.equal(load({ KAFKA_EXACTLY_ONCE: 'v1' }).exactlyOnceVersion, 'v1');
    assert.throws(
      () => load({ KAFKA_EXACTLY_ONCE: 'v3' }),
      (err: unknown) =>
        err instanceof ConfigError &&
        err.problems.some((p) => p.startsWith('KAFKA_EXACTLY_ONCE') && p.includes('v1 or v2')),
    );
  });
});

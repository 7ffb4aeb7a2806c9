import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadRouterError } from '@lead-router/errors';
import { z } from 'zod';
import { ConfigError, loadConfig, platformEnv, port } from './config.loader';
import { DEMO_MODE_ENV } from './run-mode';

const schema = z
  .object({ ...platformEnv, PORT: port.default(8080) })
  .transform((e) => ({ brokers: e.KAFKA_BROKERS, port: e.PORT, prefix: e.TOPIC_PREFIX }));

const inDemoMode = (env: Record<string, string>) =>
  loadConfig(schema, { ...DEMO_MODE_ENV, ...env }, { service: 'spec' });

describe('loadConfig', () => {
  it('starts from defaults with an empty environment in demo mode', () => {
    const sut = inDemoMode({});
    assert.deepEqual(sut, { brokers: ['localhost:9092'], port: 8080, prefix: '' });
    assert.ok(Object.isFrozen(sut));
  });

  it('outside demo mode names every missing platform key with the schema problems, once each', () => {
    assert.throws(
      () => loadConfig(schema, { PORT: 'x' }, { service: 'spec' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        assert.deepEqual(err.problems.map((p) => p.split(':')[0]).sort(), [
          'KAFKA_BROKERS',
          'KAFKA_SECURITY_PROTOCOL',
          'PORT',
          'SCHEMA_REGISTRY_URL',
        ]);
        assert.match(err.message, /KAFKA_BROKERS: not set; spec needs the Kafka brokers/);
        return true;
      },
    );
  });

  it('reports every bad key at once', () => {
    assert.throws(
      () => inDemoMode({ KAFKA_BROKERS: 'nope', PORT: 'x', TOPIC_PREFIX: 'a b' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const keys = err.problems.map((p) => p.split(':')[0]);
        assert.deepEqual(keys.sort(), ['KAFKA_BROKERS', 'PORT', 'TOPIC_PREFIX']);
        return true;
      },
    );
  });

  it('is a LeadRouterError that names the bad keys, not their values', () => {
    assert.throws(
      () => inDemoMode({ KAFKA_BROKERS: 'nope', PORT: 'x' }),
      (err: unknown) => {
        assert.ok(err instanceof LeadRouterError);
        assert.equal(err.code, 'config_invalid');
        assert.equal(err.retriable, false);
        assert.deepEqual(err.context, { keys: ['KAFKA_BROKERS', 'PORT'] });
        assert.doesNotMatch(JSON.stringify(err.context), /nope/);
        return true;
      },
    );
  });

  it('splits a broker list', () => {
    const sut = inDemoMode({ KAFKA_BROKERS: 'a:1,b:2' });
    assert.deepEqual(sut.brokers, ['a:1', 'b:2']);
  });
});

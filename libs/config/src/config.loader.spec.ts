import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LeadRouterError } from '@lead-router/errors';
import { z } from 'zod';
import { ConfigError, loadConfig, platformEnv, port } from './config.loader';

const schema = z
  .object({ ...platformEnv, PORT: port.default(8080) })
  .transform((e) => ({ brokers: e.KAFKA_BROKERS, port: e.PORT, prefix: e.TOPIC_PREFIX }));

describe('loadConfig', () => {
  it('starts from defaults with an empty environment', () => {
    const sut = loadConfig(schema, {});
    assert.deepEqual(sut, { brokers: ['localhost:9092'], port: 8080, prefix: '' });
    assert.ok(Object.isFrozen(sut));
  });

  it('reports every bad key at once', () => {
    assert.throws(
      () => loadConfig(schema, { KAFKA_BROKERS: 'nope', PORT: 'x', TOPIC_PREFIX: 'a b' }),
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
      () => loadConfig(schema, { KAFKA_BROKERS: 'nope', PORT: 'x' }),
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
    const sut = loadConfig(schema, { KAFKA_BROKERS: 'a:1,b:2' });
    assert.deepEqual(sut.brokers, ['a:1', 'b:2']);
  });
});

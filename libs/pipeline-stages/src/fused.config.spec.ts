import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ConfigError, DEMO_MODE_ENV } from '@lead-router/config';
import { loadFusedConfig } from './fused.config';
import { loadRouterConfig } from './router.config';

const demo = { ...DEMO_MODE_ENV, ROUTING_RULES_FILE: '/rules.yaml' };

describe('loadFusedConfig', () => {
  const sut = loadFusedConfig;

  it('gives each stage the consumer group of its own service, so a switch moves no offset', () => {
    const config = sut({ ...demo, TOPIC_PREFIX: 'acme.' });
    assert.deepEqual(
      [config.normalizer.groupId, config.enricher.groupId, config.router.groupId],
      ['acme.lead-router.normalizer', 'acme.lead-router.enricher', 'acme.lead-router.router'],
    );
    assert.equal(config.platform.kafka.clientId, 'lead-router-pipeline-fused');
    assert.equal(config.platform.http.port, 8190);
  });

  it('reads every stage key as the stage reads it, and each group from its own key', () => {
    const config = sut({
      ...demo,
      PORT: '9100',
      ENRICH_CONCURRENCY: '8',
      ROUTER_INSTANCE_ID: 'r-1',
      NORMALIZER_GROUP_ID: 'n',
      ENRICHER_GROUP_ID: 'e',
      ROUTER_GROUP_ID: 'r',
    });
    assert.equal(config.platform.http.port, 9100);
    assert.equal(config.enricher.enrich.concurrency, 8);
    assert.equal(config.router.instance, 'r-1');
    assert.deepEqual(
      [config.normalizer.groupId, config.enricher.groupId, config.router.groupId],
      ['n', 'e', 'r'],
    );
  });

  it('refuses one GROUP_ID for three stages, and reports every bad key of every stage once', () => {
    assert.throws(
      () => sut({ GROUP_ID: 'g', ENRICH_CONCURRENCY: '0', ROUTER_STEPS: 'x' }),
      (err: unknown) => {
        assert.ok(err instanceof ConfigError);
        const keys = err.problems.map((p) => p.split(':')[0]);
        for (const key of [
          'GROUP_ID',
          'ENRICH_CONCURRENCY',
          'KAFKA_BROKERS',
          'ROUTING_RULES_FILE',
        ]) {
          assert.ok(keys.includes(key), `${key} in ${err.message}`);
        }
        assert.equal(new Set(keys).size, keys.length, err.message);
        return true;
      },
    );
  });
});

describe('loadRouterConfig ROUTER_STEPS', () => {
  it('runs both steps unless told, assign alone beside pipeline-fused', () => {
    assert.deepEqual(loadRouterConfig(demo).steps, ['match', 'assign']);
    assert.deepEqual(loadRouterConfig({ ...demo, ROUTER_STEPS: 'assign' }).steps, ['assign']);
  });

  it('refuses a step that does not exist', () => {
    assert.throws(
      () => loadRouterConfig({ ...demo, ROUTER_STEPS: 'assign,route' }),
      /ROUTER_STEPS/,
    );
  });
});

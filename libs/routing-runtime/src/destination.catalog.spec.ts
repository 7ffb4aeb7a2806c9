import { isRetriable } from '@lead-router/errors';
import type { RuleSetVersion } from '@lead-router/schemas';
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DestinationCatalog } from './destination.catalog';
import { DestinationCatalogError } from './destination-catalog.error';
import { RulesRegistry } from './rules.registry';
import { compiledRules, published, silentLogger } from './routing-runtime.fixture';

/** Version `version` of rule set t, with a HubSpot destination `hub` at `baseUrl`. */
function withHubSpot(version: string, baseUrl: string): RuleSetVersion {
  const base = published(version);
  const yaml = base.yaml.replace(
    'destinations:\n',
    `destinations:\n  hub: { type: hubspot, base_url: "${baseUrl}", token: { env: HUB_${version} } }\n`,
  );
  assert.notEqual(yaml, base.yaml);
  return { ...base, yaml };
}

function setup(versionTimeoutMs = 2_000) {
  const registry = new RulesRegistry(compiledRules('1'), {
    logger: silentLogger(),
    servedDestinationTypes: ['webhook', 'hubspot'],
    versionTimeoutMs,
  });
  return { registry, sut: new DestinationCatalog(registry) };
}

const routedBy = (version: string) => ({ rule_set_id: 't', rule_set_version: version });

async function refusal(promise: Promise<unknown>): Promise<DestinationCatalogError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(error instanceof DestinationCatalogError, String(error));
    return error;
  }
  return assert.fail('expected a DestinationCatalogError');
}

describe('DestinationCatalog', () => {
  it('gives each lead the destination as published in the version that routed it', async () => {
    const { registry, sut } = setup();
    registry.accept(withHubSpot('2', 'https://api.hubapi.com'));
    registry.accept(withHubSpot('3', 'http://127.0.0.1:4020'));
    assert.equal(registry.current.version, '3');

    const byTwo = await sut.destination(routedBy('2'), 'hub', 'hubspot');
    const byThree = await sut.destination(routedBy('3'), 'hub', 'hubspot');
    assert.equal(byTwo.base_url, 'https://api.hubapi.com');
    assert.deepEqual(byTwo.token, { env: 'HUB_2' });
    assert.equal(byThree.base_url, 'http://127.0.0.1:4020');
    assert.deepEqual(byThree.token, { env: 'HUB_3' });
  });

  it('gives the full configuration, defaults included', async () => {
    const { registry, sut } = setup();
    registry.accept(withHubSpot('2', 'https://api.hubapi.com'));
    const hub = await sut.destination(routedBy('2'), 'hub');
    assert.equal(hub.type, 'hubspot');
    assert.deepEqual(hub.budget, { requests: 100, per_seconds: 10, daily: 250_000 });
    assert.deepEqual(hub.retry.delays, ['10s', '1m', '10m', '1h']);
    assert.deepEqual(hub.batch, { max_size: 100 });
  });

  it('waits for a version published after the lead was routed by another instance', async () => {
    const { registry, sut } = setup();
    const waiting = sut.destination(routedBy('2'), 'hub', 'hubspot');
    setTimeout(() => registry.accept(withHubSpot('2', 'https://api.hubapi.com')), 20);
    assert.equal((await waiting).base_url, 'https://api.hubapi.com');
  });

  it('refuses, retriably, a version that does not arrive in time', async () => {
    const { sut } = setup(30);
    const error = await refusal(sut.destination(routedBy('9'), 'hub'));
    assert.equal(error.code, 'rule_set_version_unknown');
    assert.ok(isRetriable(error));
    assert.deepEqual(error.context, { ruleSet: 't', version: '9', destination: 'hub' });
  });

  it('refuses, for good, a destination the version does not name', async () => {
    const { sut } = setup();
    const error = await refusal(sut.destination(routedBy('1'), 'hub'));
    assert.equal(error.code, 'destination_unknown');
    assert.equal(isRetriable(error), false);
  });

  it('refuses, for good, a destination of another type than the sink serves', async () => {
    const { sut } = setup();
    assert.equal((await sut.destination(routedBy('1'), 'crm', 'webhook')).type, 'webhook');
    const error = await refusal(sut.destination(routedBy('1'), 'crm', 'hubspot'));
    assert.equal(error.code, 'destination_type_mismatch');
    assert.equal(isRetriable(error), false);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { isRetriable } from '@lead-router/errors';
import { DestinationCatalogError } from '@lead-router/routing-runtime';
import type { CommonDestinationConfig } from '@lead-router/sink-runtime';
import { routedLeadFixture } from '@lead-router/testing';
import { catalogResolver } from './sink.providers';

const context = { ruleSet: 'demo', version: '9', destination: 'inbox' };

/** A catalog that answers one destination and refuses the rest as the real one does. */
function catalog(refuse?: DestinationCatalogError['code']) {
  const asked: { routedBy: unknown; name: string }[] = [];
  return {
    asked,
    destination: async (routedBy: unknown, name: string) => {
      asked.push({ routedBy, name });
      if (refuse) throw new DestinationCatalogError(`refused: ${refuse}`, refuse, context);
      return { type: 'webhook', url: 'https://hooks.example/leads' } as never;
    },
  };
}

describe('catalogResolver', () => {
  const lead = routedLeadFixture();

  it('answers the destination of the rule-set version that routed the lead', async () => {
    const c = catalog();
    const sut = catalogResolver<CommonDestinationConfig & { url: string }>(c);
    assert.deepEqual(await sut(lead, 'inbox'), {
      type: 'webhook',
      url: 'https://hooks.example/leads',
    });
    assert.deepEqual(c.asked, [{ routedBy: lead.decision, name: 'inbox' }]);
  });

  it('answers undefined for a destination the version does not name, so the lead fails', async () => {
    assert.equal(await catalogResolver(catalog('destination_unknown'))(lead, 'inbox'), undefined);
    assert.equal(
      await catalogResolver(catalog('destination_type_mismatch'))(lead, 'inbox'),
      undefined,
    );
  });

  it('throws the retriable error for a version not known yet, so the chunk comes back', async () => {
    await assert.rejects(
      Promise.resolve(catalogResolver(catalog('rule_set_version_unknown'))(lead, 'inbox')),
      (error: unknown) => isRetriable(error),
    );
  });
});

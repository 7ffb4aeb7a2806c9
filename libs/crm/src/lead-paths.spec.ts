import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routedLeadFixture } from '@lead-router/testing';
import { leadPathSchema } from './field-mapping.schema';
import { readPath } from './lead-paths';

describe('mapping paths come from the RoutedLead schema', () => {
  const accepts = (path: string) => leadPathSchema.safeParse(path).success;

  it('accepts what normalization and enrichment add, at any depth, and map keys', () => {
    for (const path of [
      'lead.company_size',
      'lead.industry',
      'lead.subdivision',
      'lead.phone_type',
      'lead.utm.campaign',
      'lead.consent.marketing',
      'enrichment.score',
      'enrichment.disposable',
      'enrichment.firmographics.industry',
      'enrichment.enrichment_status.firmographics',
      'decision.owner_id',
      'lead.attributes.utm_source',
    ]) {
      assert.ok(accepts(path), path);
    }
  });

  it('refuses lists, whole records, unknown fields and other parts of the lead', () => {
    for (const path of [
      'lead.quality_flags',
      'lead.issues',
      'enrichment.firmographics',
      'lead.attributes',
      'lead.nickname',
      'decision.evaluated',
      'destinations.id',
      'lead.email.domain',
    ]) {
      assert.equal(accepts(path), false, path);
    }
  });

  it('reads nested records and map keys, dots in a key included', () => {
    const routed = routedLeadFixture({
      lead: { utm: { campaign: 'spring' }, attributes: { 'gclid.v2': 'abc' } },
    });
    assert.equal(readPath(routed, 'lead.utm.campaign'), 'spring');
    assert.equal(readPath(routed, 'lead.attributes.gclid.v2'), 'abc');
    assert.equal(readPath(routed, 'lead.country'), 'DE');
    assert.equal(readPath(routed, 'enrichment.firmographics.industry'), undefined);
    assert.equal(readPath(routed, 'lead.quality_flags'), undefined, 'a list is no scalar');
  });
});

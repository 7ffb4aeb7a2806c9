import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { routedLeadFixture } from '@lead-router/testing';
import { mappedFields, valueAtPath } from './field-value.resolver';

describe('valueAtPath', () => {
  const routed = routedLeadFixture({
    lead: { attributes: { utm_source: 'google', 'gclid.v2': 'abc' } },
  });

  it('reads lead fields, attributes (dots included), enrichment and decision', () => {
    assert.equal(valueAtPath(routed, 'lead.email'), 'ada@analytical-engines.com');
    assert.equal(valueAtPath(routed, 'lead.attributes.utm_source'), 'google');
    assert.equal(valueAtPath(routed, 'lead.attributes.gclid.v2'), 'abc');
    assert.equal(valueAtPath(routed, 'enrichment.free_mail'), false);
    assert.equal(valueAtPath(routed, 'decision.matched_rule'), 'enterprise-emea');
    assert.equal(valueAtPath(routed, 'lead.message'), null);
    assert.equal(valueAtPath(routed, 'lead.attributes.missing'), null);
  });
});

describe('mappedFields', () => {
  const sut = mappedFields;

  it('leaves out null and blank values instead of sending them empty', () => {
    const routed = routedLeadFixture({ lead: { message: null, job_title: '  ' } });
    const fields = sut(routed, {
      Description: 'lead.message',
      Title: 'lead.job_title',
      Email: 'lead.email',
    });
    assert.deepEqual(fields, { Email: 'ada@analytical-engines.com' });
  });

  it('uses the default only when the lead has no value', () => {
    const source = { path: 'lead.last_name', default: '[not provided]' } as const;
    assert.deepEqual(sut(routedLeadFixture({ lead: { last_name: null } }), { L: source }), {
      L: '[not provided]',
    });
    assert.deepEqual(sut(routedLeadFixture(), { L: source }), { L: 'Lovelace' });
  });

  it('sends constants as they are, numbers and booleans included', () => {
    assert.deepEqual(sut(routedLeadFixture(), { A: { value: 'Web' }, B: { value: 3 } }), {
      A: 'Web',
      B: 3,
    });
  });

  it('cuts text to max_length without splitting a surrogate pair', () => {
    const routed = routedLeadFixture({
      lead: { company: 'Analytical Engines', message: 'ab😀cd' },
    });
    const fields = sut(routed, {
      Company: { path: 'lead.company', max_length: 10 },
      Description: { path: 'lead.message', max_length: 3 },
    });
    assert.equal(fields['Company'], 'Analytical');
    assert.equal(fields['Description'], 'ab');
  });
});

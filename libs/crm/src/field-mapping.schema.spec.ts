import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import {
  DEFAULT_HUBSPOT_MAPPING,
  DEFAULT_SALESFORCE_MAPPING,
  hubspotMappingSchema,
  salesforceMappingSchema,
} from './field-mapping.schema';

function messages(result: { success: boolean; error?: { issues: { message: string }[] } }) {
  return result.error?.issues.map((i) => i.message).join(' | ') ?? '';
}

describe('salesforceMappingSchema', () => {
  const sut = salesforceMappingSchema;

  it('needs nothing: Lead, Lead_Router_Id__c, v62.0 and the standard Lead fields', () => {
    assert.equal(DEFAULT_SALESFORCE_MAPPING.sobject, 'Lead');
    assert.equal(DEFAULT_SALESFORCE_MAPPING.external_id_field, 'Lead_Router_Id__c');
    assert.equal(DEFAULT_SALESFORCE_MAPPING.api_version, '62.0');
    assert.deepEqual(Object.keys(DEFAULT_SALESFORCE_MAPPING.fields).sort(), [
      'Company',
      'Description',
      'Email',
      'FirstName',
      'LastName',
      'Phone',
      'Title',
      'Website',
    ]);
  });

  it('takes custom fields, attribute paths, constants, defaults and lengths', () => {
    const parsed = sut.parse({
      sobject: 'Contact',
      external_id_field: 'Ext_Id__c',
      fields: {
        LastName: { path: 'lead.last_name', default: 'Unknown', max_length: 80 },
        UTM_Source__c: 'lead.attributes.utm_source',
        Routing_Rule__c: 'decision.matched_rule',
        Free_Mail__c: 'enrichment.free_mail',
        LeadSource: { value: 'Web' },
      },
    });
    assert.equal(parsed.sobject, 'Contact');
    assert.deepEqual(parsed.fields['LeadSource'], { value: 'Web' });
  });

  for (const reserved of ['Id', 'OwnerId', 'Lead_Router_Id__c']) {
    it(`refuses a mapping that fills ${reserved}, which the sink fills`, () => {
      const result = sut.safeParse({ fields: { [reserved]: 'lead.email' } });
      assert.equal(result.success, false);
      assert.match(messages(result), /filled by the sink/);
    });
  }

  it('refuses unknown paths, bad field names and versions before v46.0', () => {
    assert.equal(sut.safeParse({ fields: { Email: 'lead.mail' } }).success, false);
    assert.equal(sut.safeParse({ fields: { Email: 'lead.issues' } }).success, false);
    assert.equal(sut.safeParse({ fields: { 'Bad Name': 'lead.email' } }).success, false);
    assert.equal(sut.safeParse({ api_version: '45.0' }).success, false);
    assert.equal(sut.safeParse({ sobject: 'Lead; DROP' }).success, false);
  });
});

describe('hubspotMappingSchema', () => {
  const sut = hubspotMappingSchema;

  it('needs nothing: contacts matched on email, the standard contact properties', () => {
    assert.equal(DEFAULT_HUBSPOT_MAPPING.id_property, 'email');
    assert.equal(DEFAULT_HUBSPOT_MAPPING.fields['email'], 'lead.email');
    assert.equal(DEFAULT_HUBSPOT_MAPPING.fields['jobtitle'], 'lead.job_title');
  });

  it('refuses an id property the mapping does not fill', () => {
    const result = sut.safeParse({ id_property: 'lead_router_id' });
    assert.equal(result.success, false);
    assert.match(messages(result), /id property lead_router_id must be mapped/);
  });

  it('takes a custom id property that is mapped', () => {
    const parsed = sut.parse({
      id_property: 'lead_router_id',
      fields: { lead_router_id: 'lead.lead_id', email: 'lead.email' },
    });
    assert.equal(parsed.id_property, 'lead_router_id');
  });

  it('refuses hubspot_owner_id, which comes from the routing decision', () => {
    const result = sut.safeParse({
      fields: { email: 'lead.email', hubspot_owner_id: { value: '1' } },
    });
    assert.equal(result.success, false);
    assert.match(messages(result), /from the routing decision/);
  });
});

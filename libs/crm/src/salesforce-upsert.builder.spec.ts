import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crmLead } from './crm.fixture';
import { DEFAULT_SALESFORCE_MAPPING, salesforceMappingSchema } from './field-mapping.schema';
import { SALESFORCE_MAX_RECORDS, salesforceUpsertBatches } from './salesforce-upsert.builder';

const sf = { id: 'sf' };

describe('salesforceUpsertBatches', () => {
  const sut = salesforceUpsertBatches;

  it('cuts 450 leads into requests of 200, 200 and 50, in order', () => {
    const leads = Array.from({ length: 450 }, (_, i) => crmLead(i, 'sf'));
    const { batches, rejected } = sut(leads, sf, DEFAULT_SALESFORCE_MAPPING);
    assert.equal(SALESFORCE_MAX_RECORDS, 200);
    assert.deepEqual(
      batches.map((b) => b.body.records.length),
      [200, 200, 50],
    );
    assert.deepEqual(rejected, []);
    const sent = batches.flatMap((b) => b.leads.map((l) => l.lead.lead_id));
    assert.deepEqual(
      sent,
      leads.map((l) => l.lead.lead_id),
    );
  });

  it('PATCHes the collections upsert URI with allOrNone false', () => {
    const { batches } = sut([crmLead(1, 'sf')], sf, DEFAULT_SALESFORCE_MAPPING);
    const [batch] = batches;
    assert.equal(batch?.method, 'PATCH');
    assert.equal(batch?.path, '/services/data/v62.0/composite/sobjects/Lead/Lead_Router_Id__c');
    assert.equal(batch?.body.allOrNone, false);
  });

  it('gives every record its type, the lead id as external id, its own owner, and never an Id', () => {
    const leads = [crmLead(1, 'sf'), crmLead(2, 'sf')];
    const { batches } = sut(leads, sf, DEFAULT_SALESFORCE_MAPPING);
    const records = batches[0]?.body.records ?? [];
    assert.equal(records.length, 2);
    records.forEach((record, i) => {
      assert.deepEqual(record.attributes, { type: 'Lead' });
      assert.equal(record['Lead_Router_Id__c'], leads[i]?.lead.lead_id);
      assert.equal(record['OwnerId'], `owner-${i + 1}`);
      assert.ok(!Object.keys(record).some((k) => k.toLowerCase() === 'id'));
    });
  });

  it('maps fields, leaves nulls out, fills required Lead fields and cuts to length', () => {
    const lead = crmLead(1, 'sf', {
      lead: { last_name: null, job_title: null, company: 'x'.repeat(300) },
    });
    const mapping = salesforceMappingSchema.parse({
      fields: {
        ...DEFAULT_SALESFORCE_MAPPING.fields,
        UTM_Source__c: 'lead.attributes.utm_source',
        Rule_Set_Version__c: 'decision.rule_set_version',
      },
    });
    const record = sut([lead], sf, mapping).batches[0]?.body.records[0];
    assert.equal(record?.['Email'], 'lead1@example.com');
    assert.equal(record?.['LastName'], '[not provided]');
    assert.equal(record?.['Company'], 'x'.repeat(255));
    assert.equal(record?.['UTM_Source__c'], 'google');
    assert.equal(record?.['Rule_Set_Version__c'], '2026-11-25.1');
    assert.ok(!('Title' in (record ?? {})));
    assert.ok(!('Description' in (record ?? {})));
  });

  it('uses the configured sObject and external id field', () => {
    const mapping = salesforceMappingSchema.parse({
      sobject: 'Contact',
      external_id_field: 'Ext__c',
      api_version: '60.0',
      fields: { LastName: 'lead.last_name' },
    });
    const { batches } = sut([crmLead(1, 'sf')], sf, mapping);
    assert.equal(batches[0]?.path, '/services/data/v60.0/composite/sobjects/Contact/Ext__c');
    assert.deepEqual(batches[0]?.body.records[0], {
      attributes: { type: 'Contact' },
      LastName: 'Lovelace',
      Ext__c: '00000000-0000-4000-8000-000000000001',
      OwnerId: 'owner-1',
    });
  });

  it('leaves OwnerId out when the router chose nobody for this destination', () => {
    const lead = crmLead(1, 'sf', {
      destinations: [{ id: 'sf', type: 'salesforce', url: null, owner_id: null }],
    });
    const record = sut([lead], sf, DEFAULT_SALESFORCE_MAPPING).batches[0]?.body.records[0];
    assert.ok(record && !('OwnerId' in record));
  });

  it('never puts the same lead twice in one request', () => {
    const leads = [crmLead(1, 'sf'), crmLead(2, 'sf'), crmLead(1, 'sf'), crmLead(3, 'sf')];
    const { batches } = sut(leads, sf, DEFAULT_SALESFORCE_MAPPING);
    assert.deepEqual(
      batches.map((b) => b.body.records.length),
      [2, 2],
    );
  });

  it('refuses a lead that was not routed to this destination instead of sending it', () => {
    const lead = crmLead(1, 'hs');
    const { batches, rejected } = sut([lead], sf, DEFAULT_SALESFORCE_MAPPING);
    assert.deepEqual(batches, []);
    assert.equal(rejected[0]?.verdict.kind, 'permanent');
    assert.equal(rejected[0]?.leadId, lead.lead.lead_id);
  });
});

import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { crmLead } from './crm.fixture';
import { DEFAULT_HUBSPOT_MAPPING, hubspotMappingSchema } from './field-mapping.schema';
import {
  HUBSPOT_CONTACTS_UPSERT_PATH,
  HUBSPOT_MAX_INPUTS,
  hubspotUpsertBatches,
} from './hubspot-upsert.builder';

const hs = { id: 'hs' };

describe('hubspotUpsertBatches', () => {
  const sut = hubspotUpsertBatches;

  it('cuts 250 leads into POSTs of 100, 100 and 50 to the batch upsert', () => {
    const leads = Array.from({ length: 250 }, (_, i) => crmLead(i, 'hs'));
    const { batches } = sut(leads, hs, DEFAULT_HUBSPOT_MAPPING);
    assert.equal(HUBSPOT_MAX_INPUTS, 100);
    assert.deepEqual(
      batches.map((b) => b.body.inputs.length),
      [100, 100, 50],
    );
    assert.ok(batches.every((b) => b.method === 'POST'));
    assert.equal(batches[0]?.path, '/crm/v3/objects/contacts/batch/upsert');
    assert.equal(HUBSPOT_CONTACTS_UPSERT_PATH, batches[0]?.path);
  });

  it('sends id, idProperty, string properties, the owner and a trace id per input', () => {
    const lead = crmLead(7, 'hs');
    const input = sut([lead], hs, DEFAULT_HUBSPOT_MAPPING).batches[0]?.body.inputs[0];
    assert.deepEqual(input, {
      id: 'lead7@example.com',
      idProperty: 'email',
      objectWriteTraceId: lead.lead.lead_id,
      properties: {
        email: 'lead7@example.com',
        firstname: 'Ada',
        lastname: 'Lovelace',
        company: 'Analytical Engines',
        phone: '+49301234567',
        jobtitle: 'CTO',
        website: 'https://analytical-engines.com',
        country: 'DE',
        hubspot_owner_id: 'owner-7',
      },
    });
  });

  it('turns every value into a string, numbers and booleans included', () => {
    const mapping = hubspotMappingSchema.parse({
      fields: {
        email: 'lead.email',
        free_mail: 'enrichment.free_mail',
        received_at: 'lead.received_at',
        employees: { value: 1200 },
      },
    });
    const { properties } = sut([crmLead(1, 'hs')], hs, mapping).batches[0]!.body.inputs[0]!;
    assert.deepEqual(properties, {
      email: 'lead1@example.com',
      free_mail: 'false',
      received_at: String(Date.UTC(2026, 10, 25, 12, 0, 0)),
      employees: '1200',
      hubspot_owner_id: 'owner-1',
    });
    assert.ok(Object.values(properties).every((v) => typeof v === 'string'));
  });

  it('refuses a lead without a value for the id property up front, not in a request', () => {
    const noEmail = crmLead(2, 'hs', { lead: { email: null } });
    const { batches, rejected } = sut([crmLead(1, 'hs'), noEmail], hs, DEFAULT_HUBSPOT_MAPPING);
    assert.deepEqual(
      batches.flatMap((b) => b.body.inputs.map((i) => i.objectWriteTraceId)),
      [crmLead(1, 'hs').lead.lead_id],
    );
    assert.deepEqual(rejected, [
      {
        leadId: noEmail.lead.lead_id,
        verdict: {
          kind: 'permanent',
          code: 'missing_id_property',
          message: "the lead has no value for HubSpot's id property email",
        },
      },
    ]);
  });

  it('matches on a custom id property when configured', () => {
    const mapping = hubspotMappingSchema.parse({
      id_property: 'lead_router_id',
      fields: { lead_router_id: 'lead.lead_id', email: 'lead.email' },
    });
    const lead = crmLead(3, 'hs', { lead: { email: null } });
    const input = sut([lead], hs, mapping).batches[0]?.body.inputs[0];
    assert.equal(input?.id, lead.lead.lead_id);
    assert.equal(input?.idProperty, 'lead_router_id');
  });

  it('never puts one contact twice in a batch, whatever the case of its email', () => {
    const leads = [
      crmLead(1, 'hs', { lead: { email: 'same@example.com' } }),
      crmLead(2, 'hs'),
      crmLead(3, 'hs', { lead: { email: 'SAME@example.com' } }),
    ];
    const { batches } = sut(leads, hs, DEFAULT_HUBSPOT_MAPPING);
    assert.deepEqual(
      batches.map((b) => b.body.inputs.length),
      [2, 1],
    );
  });

  it('leaves hubspot_owner_id out when the router chose nobody there', () => {
    const lead = crmLead(1, 'hs', {
      destinations: [{ id: 'hs', type: 'hubspot', url: null, owner_id: null }],
    });
    const input = sut([lead], hs, DEFAULT_HUBSPOT_MAPPING).batches[0]?.body.inputs[0];
    assert.ok(input && !('hubspot_owner_id' in input.properties));
  });
});

import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { contactKeysOf } from '@lead-router/enrich';
import type { RecordContext, StageDefinition, StageOutput } from '@lead-router/kafka';
import type { ContactCheck, ContactSeen, ErasureRequest } from '@lead-router/schemas';
import { enrichedLeadFixture, normalizedLeadFixture } from '@lead-router/testing';
import { contactsErasureStage, erasedContactKeys } from './contacts-erasure.stage';
import { ContactStore, latestEntries, type ChangelogRecord } from './contacts.store';
import { afterEnrichment, duplicatesStages } from './duplicates.stages';
import { loadEnricherConfig } from './enricher.config';
import { DEMO_MODE_ENV } from '@lead-router/config';

const config = loadEnricherConfig({ ...DEMO_MODE_ENV, ENRICH_DUPLICATES_WINDOW: '10m' });
const topics = {
  contacts: 'enricher.contacts',
  enriched: 'leads.enriched',
  routed: 'leads.routed',
  dlq: 'leads.dlq',
  erasures: 'privacy.erasures',
};
const sha256 = (text: string) => createHash('sha256').update(text).digest('hex');
const request = (r: Partial<ErasureRequest>): ErasureRequest => ({
  subject_key: 'lead:x',
  lead_id: null,
  email_sha256: null,
  requested_at: 0,
  requested_by: null,
  reason: null,
  ...r,
});
const entry = (key: string, leadId: string, email: string | null): ContactSeen => ({
  contact_key: key,
  lead_id: leadId,
  seen_at: 0,
  owner: null,
  email_sha256: email === null ? null : sha256(email),
});

describe('erasedContactKeys', () => {
  const entries = new Map([
    ['email:a', entry('email:a', 'L1', 'Ada@x.io')],
    ['phone:a', entry('phone:a', 'L1', 'Ada@x.io')],
    ['phone:b', entry('phone:b', 'L2', null)],
    [`email:${sha256('bo@x.io')}`, entry(`email:${sha256('bo@x.io')}`, 'L3', null)],
    ['email:c', entry('email:c', 'L4', 'cy@x.io')],
  ]);

  it("names every contact of the email's first leads, by digest or by a legacy key", () => {
    assert.deepEqual(erasedContactKeys(entries, request({ email_sha256: sha256('Ada@x.io') })), [
      'email:a',
      'phone:a',
    ]);
    assert.deepEqual(erasedContactKeys(entries, request({ email_sha256: sha256('bo@x.io') })), [
      `email:${sha256('bo@x.io')}`,
    ]);
  });

  it("names the lead's contacts for a lead request, and nothing for a stranger", () => {
    assert.deepEqual(erasedContactKeys(entries, request({ lead_id: 'L2' })), ['phone:b']);
    assert.deepEqual(erasedContactKeys(entries, request({ lead_id: 'L9' })), []);
  });
});

describe('forgetting a contact', () => {
  it('drops the entry from memory and tombstones it, and a restore applies the tombstone', async () => {
    const changelog: ChangelogRecord[] = [];
    const store = new ContactStore('enricher.contacts-seen', () => Promise.resolve(changelog));
    const [check] = duplicatesStages(config, { topics, store, windowMs: 10 * 60_000 }) as [
      StageDefinition<ContactCheck>,
    ];
    let offset = 0;
    const ctx = () =>
      ({ topic: topics.contacts, partition: 0, offset: String(offset++) }) as RecordContext;
    const chunk = async (records: StageOutput[]) => {
      await check.beforeChunk!({ topic: topics.contacts, partition: 0 });
      const outs: StageOutput[] = [];
      for (const r of records) {
        const result = await check.handle(r.value as ContactCheck, ctx());
        assert.equal(result.kind, 'ok');
        outs.push(...result.outputs);
      }
      for (const o of (await check.afterChunk!({ topic: topics.contacts, partition: 0 })) ?? []) {
        changelog.push({ key: o.key, entry: o.value as ContactSeen | null });
      }
      return outs;
    };
    const lead = enrichedLeadFixture({
      lead: normalizedLeadFixture({ lead_id: 'L1', email: 'Ada@x.io', phone: null }),
    });
    await chunk(
      [afterEnrichment(lead, topics, true)].flatMap((r) => (r.kind === 'ok' ? r.outputs : [])),
    );
    const [key] = contactKeysOf(lead.lead);
    assert.equal(store.get(0, key!)?.lead_id, 'L1');

    const sut = contactsErasureStage(config, {
      topics,
      readChangelog: () => Promise.resolve(changelog),
    });
    const result = await sut.handle(
      request({ subject_key: 'email:x', email_sha256: sha256('Ada@x.io') }),
      ctx(),
    );
    assert.equal(result.kind, 'ok');
    assert.deepEqual(
      result.outputs.map((o) => [o.topic, o.key, (o.value as ContactCheck).forget]),
      [[topics.contacts, key, true]],
    );
    await chunk(result.outputs);
    assert.equal(store.get(0, key!), undefined, 'dropped from memory');
    assert.deepEqual(changelog.at(-1), { key, entry: null }, 'a tombstone in the changelog');
    assert.equal(latestEntries(changelog).has(key!), false, 'a restore does not bring it back');
  });
});

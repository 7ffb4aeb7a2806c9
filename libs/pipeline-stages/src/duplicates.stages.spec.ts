import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { contactKeysOf } from '@lead-router/enrich';
import type { RecordContext, StageDefinition, StageOutput, StageResult } from '@lead-router/kafka';
import type { ContactCheck, ContactSeen, EnrichedLead } from '@lead-router/schemas';
import {
  enrichedLeadFixture,
  normalizedLeadFixture,
  routedLeadFixture,
} from '@lead-router/testing';
import { ContactStore } from './contacts.store';
import { loadEnricherConfig } from './enricher.config';
import { afterEnrichment, duplicatesStages } from './duplicates.stages';
import { DEMO_MODE_ENV } from '@lead-router/config';

const topics = {
  contacts: 'enricher.contacts',
  enriched: 'leads.enriched',
  routed: 'leads.routed',
  dlq: 'leads.dlq',
};
const MINUTE = 60_000;
const config = loadEnricherConfig({ ...DEMO_MODE_ENV, ENRICH_DUPLICATES_WINDOW: '10m' });

const lead = (id: string, at: number, email = 'ada@example.com', phone = '+4915123456789') =>
  enrichedLeadFixture({
    lead: normalizedLeadFixture({ lead_id: id, received_at: at, email, phone }),
  });

const outputsOf = (result: StageResult): StageOutput[] => {
  assert.equal(result.kind, 'ok');
  return result.outputs ?? [];
};

/** One enricher instance's duplicates stages over a changelog kept in `changelog`. */
function instance(changelog: ContactSeen[]) {
  const store = new ContactStore('enricher.contacts-seen', (partition) =>
    Promise.resolve(
      partition === 0 ? changelog.map((entry) => ({ key: entry.contact_key, entry })) : [],
    ),
  );
  const [check, owners] = duplicatesStages(config, {
    topics,
    store,
    windowMs: config.enrich.duplicates!.windowMs,
  }) as [StageDefinition<ContactCheck>, StageDefinition<unknown>];
  let offset = 0;
  const ctx = (): RecordContext =>
    ({ topic: topics.contacts, partition: 0, offset: String(offset++) }) as RecordContext;
  /** Every hop of one record through the check stage, as Kafka would deliver them. */
  const run = async (first: StageOutput): Promise<EnrichedLead> => {
    await check.beforeChunk!({ topic: topics.contacts, partition: 0 });
    let next = first;
    for (;;) {
      const [out] = outputsOf(await check.handle(next.value as ContactCheck, ctx()));
      changelog.push(
        ...((await check.afterChunk!({ topic: topics.contacts, partition: 0 })) ?? []).map(
          (o) => o.value as ContactSeen,
        ),
      );
      if (out!.topic === topics.enriched) return out!.value as EnrichedLead;
      assert.equal(out!.topic, topics.contacts);
      next = out!;
    }
  };
  const routed = async (leadId: string, member: string) => {
    const r = routedLeadFixture();
    const record = {
      ...r,
      lead: { ...r.lead, lead_id: leadId, email: 'ada@example.com', phone: '+4915123456789' },
      decision: {
        ...r.decision,
        distribution: { ...r.decision.distribution!, chosen_member: member },
      },
    };
    for (const out of outputsOf(await owners.handle(record, ctx()))) {
      assert.deepEqual(out.key, (out.value as ContactCheck).contact_key);
      await check.handle(out.value as ContactCheck, ctx());
    }
    changelog.push(
      ...((await check.afterChunk!({ topic: topics.contacts, partition: 0 })) ?? []).map(
        (o) => o.value as ContactSeen,
      ),
    );
  };
  return { check, run, routed, store };
}

describe('afterEnrichment', () => {
  it('sends a lead to leads.enriched when detection is off', () => {
    const [out] = outputsOf(afterEnrichment(lead('L1', 0), topics, false));
    assert.equal(out?.topic, topics.enriched);
    assert.equal(out?.key, 'L1');
  });

  it('re-keys a lead by its email, then phone, and skips a lead with neither', () => {
    const l = lead('L1', 0);
    const [out] = outputsOf(afterEnrichment(l, topics, true));
    const keys = contactKeysOf(l.lead);
    assert.deepEqual(
      { topic: out?.topic, key: out?.key, value: out?.value },
      {
        topic: topics.contacts,
        key: keys[0],
        value: { contact_key: keys[0], keys, hop: 0, enriched: l, routed: null, forget: false },
      },
    );
    const none = afterEnrichment(lead('L2', 0, null as never, null as never), topics, true);
    const [direct] = outputsOf(none);
    assert.equal(direct?.topic, topics.enriched);
    assert.equal(
      (direct?.value as EnrichedLead).enrichment.enrichment_status['duplicates'],
      'skipped',
    );
  });
});

describe('duplicatesStages', () => {
  it('marks the second lead with the email a duplicate of the first, with its owner once routed', async () => {
    const changelog: ContactSeen[] = [];
    const sut = instance(changelog);
    const first = await sut.run(outputsOf(afterEnrichment(lead('L1', 0), topics, true))[0]!);
    assert.equal(first.enrichment.duplicate_of, null);
    assert.equal(first.enrichment.enrichment_status['duplicates'], 'no_match');

    const early = await sut.run(
      outputsOf(
        afterEnrichment(lead('L2', MINUTE, 'ADA@example.com', '+33612345678'), topics, true),
      )[0]!,
    );
    assert.deepEqual(
      [
        early.enrichment.duplicate_of,
        early.enrichment.duplicate_by,
        early.enrichment.duplicate_owner,
      ],
      ['L1', 'email', null],
      'before L1 is routed its owner is not known',
    );

    await sut.routed('L1', 'bruno');
    const later = await sut.run(
      outputsOf(afterEnrichment(lead('L3', 2 * MINUTE, 'other@example.com'), topics, true))[0]!,
    );
    assert.deepEqual(
      [
        later.enrichment.duplicate_of,
        later.enrichment.duplicate_by,
        later.enrichment.duplicate_owner,
      ],
      ['L1', 'phone', 'bruno'],
    );
    assert.equal(later.enrichment.enrichment_status['duplicates'], 'ok');

    // Another instance that takes the partition over restores the same decisions.
    const successor = instance(changelog);
    const again = await successor.run(
      outputsOf(afterEnrichment(lead('L4', 3 * MINUTE), topics, true))[0]!,
    );
    assert.deepEqual(
      [again.enrichment.duplicate_of, again.enrichment.duplicate_owner],
      ['L1', 'bruno'],
    );
  });

  it('starts over once the window has passed', async () => {
    const sut = instance([]);
    await sut.run(outputsOf(afterEnrichment(lead('L1', 0), topics, true))[0]!);
    const late = await sut.run(
      outputsOf(afterEnrichment(lead('L2', 11 * MINUTE), topics, true))[0]!,
    );
    assert.equal(late.enrichment.duplicate_of, null);
    const after = await sut.run(
      outputsOf(afterEnrichment(lead('L3', 12 * MINUTE), topics, true))[0]!,
    );
    assert.equal(after.enrichment.duplicate_of, 'L2');
  });
});

describe('loadEnricherConfig: accounts and duplicates', () => {
  it('matches accounts by default and detects duplicates only with a window', () => {
    const { accounts, duplicates } = loadEnricherConfig({ ...DEMO_MODE_ENV }).enrich;
    assert.deepEqual([accounts, duplicates], [{ fuzzyMin: 0.85 }, null]);
    assert.deepEqual(config.enrich.duplicates, { windowMs: 10 * MINUTE });
    assert.equal(
      loadEnricherConfig({ ...DEMO_MODE_ENV, ENRICH_ACCOUNTS: 'off' }).enrich.accounts,
      null,
    );
  });

  it('refuses a window that is not a duration or longer than the changelog keeps', () => {
    for (const window of ['10 minutes', '31d', '0m']) {
      assert.throws(
        () => loadEnricherConfig({ ...DEMO_MODE_ENV, ENRICH_DUPLICATES_WINDOW: window }),
        /ENRICH_DUPLICATES_WINDOW/,
        window,
      );
    }
  });
});

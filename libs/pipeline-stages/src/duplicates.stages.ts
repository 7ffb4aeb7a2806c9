import { checkContact, contactKeysOf, contactKindOf, routedOwnerOf } from '@lead-router/enrich';
import type { RecordContext, StageDefinition, StageResult } from '@lead-router/kafka';
import type { ContactCheck, EnrichedLead, RoutedLead } from '@lead-router/schemas';
import type { StageConfig } from '@lead-router/config';
import { stageSettings } from '@lead-router/service-kit';
import type { ContactStore } from './contacts.store';

export interface DuplicatesTopics {
  contacts: string;
  enriched: string;
  routed: string;
  dlq: string;
}

/**
 * Where an enriched lead goes next: to duplicate detection on enricher.contacts, keyed by its
 * first contact, or straight to leads.enriched when it has no contact or detection is off.
 */
export function afterEnrichment(
  enriched: EnrichedLead,
  topics: DuplicatesTopics,
  detect: boolean,
): StageResult {
  const keys = detect ? contactKeysOf(enriched.lead) : [];
  if (keys.length === 0) {
    if (detect) enriched.enrichment.enrichment_status['duplicates'] = 'skipped';
    return {
      kind: 'ok',
      outputs: [{ topic: topics.enriched, key: enriched.lead.lead_id, value: enriched }],
    };
  }
  const check: ContactCheck = {
    contact_key: keys[0]!,
    keys,
    hop: 0,
    enriched,
    routed: null,
    forget: false,
  };
  return { kind: 'ok', outputs: [{ topic: topics.contacts, key: keys[0]!, value: check }] };
}

/**
 * Duplicate detection, consistent across enricher instances because each contact is decided by
 * the one instance that owns its partition of enricher.contacts:
 *  - enricher-duplicates: enricher.contacts -> each lead checked against the first lead of its
 *    email, then of its phone (one hop per contact, re-keyed each time), then leads.enriched;
 *    the first leads are kept in the enricher.contacts-seen changelog (`ContactStore`);
 *  - enricher-owners: leads.routed -> the owner each lead was given, re-keyed by each of its
 *    contacts onto enricher.contacts, so the instance owning the contact learns the first
 *    lead's owner in order with the leads it checks.
 */
export function duplicatesStages(
  config: StageConfig,
  deps: { topics: DuplicatesTopics; store: ContactStore; windowMs: number },
): StageDefinition<unknown>[] {
  const { topics, store } = deps;
  const check: StageDefinition<ContactCheck> = {
    stage: 'enricher-duplicates',
    ...stageSettings(config),
    groupId: `${config.groupId}.duplicates`,
    // One record at a time: a contact's entry is read and written in order.
    partitionsConcurrently: 1,
    concurrency: 1,
    topic: topics.contacts,
    schema: 'ContactCheck',
    dlqTopic: topics.dlq,
    leadIdOf: (c) => c.enriched?.lead.lead_id ?? c.routed?.lead_id ?? null,
    onGroupJoin: () => store.invalidate(),
    beforeChunk: ({ partition }) => store.restore(partition),
    afterChunk: () => Promise.resolve(store.drain()),
    handle: (c, ctx) => handleCheck(c, ctx, deps),
  };
  const owners: StageDefinition<RoutedLead> = {
    stage: 'enricher-owners',
    ...stageSettings(config),
    groupId: `${config.groupId}.owners`,
    topic: topics.routed,
    schema: 'RoutedLead',
    dlqTopic: topics.dlq,
    leadIdOf: (routed) => routed.lead.lead_id,
    handle: (routed) => {
      const owner = routedOwnerOf(routed);
      if (owner === null) return { kind: 'ok', outputs: [] };
      return {
        kind: 'ok',
        outputs: contactKeysOf(routed.lead).map((key) => ({
          topic: topics.contacts,
          key,
          value: {
            contact_key: key,
            keys: [],
            hop: 0,
            enriched: null,
            routed: { lead_id: routed.lead.lead_id, owner },
            forget: false,
          } satisfies ContactCheck,
        })),
      };
    },
  };
  return [check as StageDefinition<unknown>, owners as StageDefinition<unknown>];
}

function handleCheck(
  c: ContactCheck,
  ctx: RecordContext,
  deps: { topics: DuplicatesTopics; store: ContactStore; windowMs: number },
): StageResult {
  const { topics, store, windowMs } = deps;
  const key = c.contact_key;
  if (c.forget) {
    store.forget(ctx.partition, key);
    return { kind: 'ok', outputs: [] };
  }
  if (c.routed !== null) {
    const seen = store.get(ctx.partition, key);
    if (seen !== undefined && seen.lead_id === c.routed.lead_id && seen.owner !== c.routed.owner) {
      store.set(ctx.partition, { ...seen, owner: c.routed.owner });
    }
    return { kind: 'ok', outputs: [] };
  }
  const enriched = c.enriched;
  if (enriched === null) {
    return { kind: 'dead', code: 'empty_contact_check', error: 'neither a lead nor an owner' };
  }
  const decision = checkContact(store.get(ctx.partition, key), key, enriched, windowMs);
  if (decision.first !== null) {
    enriched.enrichment.duplicate_of = decision.first.lead_id;
    enriched.enrichment.duplicate_by = contactKindOf(key);
    enriched.enrichment.duplicate_owner = decision.first.owner;
  }
  if (decision.record !== null) store.set(ctx.partition, decision.record);
  const hop = c.hop + 1;
  const next = c.keys[hop];
  if (next !== undefined) {
    return {
      kind: 'ok',
      outputs: [
        {
          topic: topics.contacts,
          key: next,
          value: { contact_key: next, keys: c.keys, hop, enriched, routed: null, forget: false },
        },
      ],
    };
  }
  enriched.enrichment.enrichment_status['duplicates'] =
    enriched.enrichment.duplicate_of === null ? 'no_match' : 'ok';
  return {
    kind: 'ok',
    outputs: [{ topic: topics.enriched, key: enriched.lead.lead_id, value: enriched }],
  };
}

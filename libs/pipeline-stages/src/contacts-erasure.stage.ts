import type { StageConfig } from '@lead-router/config';
import type { StageDefinition } from '@lead-router/kafka';
import type { ContactCheck, ContactSeen, ErasureRequest } from '@lead-router/schemas';
import { stageSettings } from '@lead-router/service-kit';
import { type ChangelogRecord, latestEntries } from './contacts.store';

/**
 * The contact keys whose first lead an erasure request names: the lead's, and for an email
 * every entry of a lead with that email (its email entry and its phone entry). Entries written
 * before they carried `email_sha256` are found by key when the email's local part was
 * lower-case (the key hashes the lower-cased email, the request the email as normalized).
 */
export function erasedContactKeys(
  entries: ReadonlyMap<string, ContactSeen>,
  request: Pick<ErasureRequest, 'lead_id' | 'email_sha256'>,
): string[] {
  const digest = request.email_sha256;
  const ofEmail = (key: string, entry: ContactSeen) =>
    digest !== null && (entry.email_sha256 === digest || key === `email:${digest}`);
  const leads = new Set<string>(request.lead_id === null ? [] : [request.lead_id]);
  for (const [key, entry] of entries) if (ofEmail(key, entry)) leads.add(entry.lead_id);
  return [...entries]
    .filter(([key, entry]) => leads.has(entry.lead_id) || ofEmail(key, entry))
    .map(([key]) => key);
}

/**
 * privacy.erasures -> enricher.contacts: each request becomes a `forget` record per contact key
 * whose first lead it names, found in the whole contacts-seen changelog. Each goes to the
 * partition of its key, so the one instance that owns the contact drops the entry from memory
 * and writes its tombstone in order with the leads it checks (`duplicatesStages`); one group
 * (`<group>.erasures`) handles each request once for every instance.
 */
export function contactsErasureStage(
  config: StageConfig,
  deps: {
    topics: { erasures: string; contacts: string; dlq: string };
    readChangelog: () => Promise<ChangelogRecord[]>;
  },
): StageDefinition<ErasureRequest> {
  const { topics } = deps;
  return {
    stage: 'enricher-erasures',
    ...stageSettings(config),
    groupId: `${config.groupId}.erasures`,
    topic: topics.erasures,
    schema: 'ErasureRequest',
    dlqTopic: topics.dlq,
    // One request at a time: each reads the changelog as the previous one's tombstones left it.
    partitionsConcurrently: 1,
    concurrency: 1,
    leadIdOf: (request) => request.lead_id,
    handle: async (request) => {
      const keys = erasedContactKeys(latestEntries(await deps.readChangelog()), request);
      return {
        kind: 'ok',
        outputs: keys.map((key) => ({
          topic: topics.contacts,
          key,
          value: {
            contact_key: key,
            keys: [],
            hop: 0,
            enriched: null,
            routed: null,
            forget: true,
          } satisfies ContactCheck,
        })),
      };
    },
  };
}

import { AccountIndex } from '@lead-router/accounts';
import type { LeadEnricher } from '@lead-router/enrich';
import type { AvroCodec, StageDefinition } from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import type { NormalizedLead } from '@lead-router/schemas';
import {
  CODEC,
  KAFKA,
  LOGGER,
  STAGES,
  TOPICS,
  stageSettings,
  type PrefixedTopics,
} from '@lead-router/service-kit';
import type { FactoryProvider, Provider } from '@nestjs/common';
import type { Kafka } from 'kafkajs';
import { AccountsTopicFollower } from './accounts.follower';
import { contactsErasureStage } from './contacts-erasure.stage';
import { ContactStore, contactsChangelog } from './contacts.store';
import { afterEnrichment, duplicatesStages } from './duplicates.stages';
import type { EnricherConfig } from './enricher.config';
import { buildEnricher } from './enricher.steps';

/**
 * The accounts topic follower, caught up before it is provided (null when account matching is
 * off), so the stage takes no lead before every account imported so far is in memory.
 */
export function accountsProviders(config: EnricherConfig): Provider[] {
  return [
    {
      provide: AccountsTopicFollower,
      inject: [TOPICS, LOGGER, KAFKA, CODEC],
      useFactory: async (
        { topics, declarations }: PrefixedTopics,
        logger: Logger,
        kafka: Kafka,
        codec: AvroCodec,
      ): Promise<AccountsTopicFollower | null> => {
        const settings = config.enrich.accounts;
        if (settings === null) return null;
        const follower = new AccountsTopicFollower(new AccountIndex(settings), {
          kafka,
          codec,
          logger,
          topic: declarations.find((d) => d.name === topics.accounts)!,
          groupPrefix: config.groupId,
        });
        await follower.start();
        return follower;
      },
    },
  ];
}

/**
 * leads.normalized -> enrich -> leads.enriched. A lead may wait on the firmographics provider
 * (up to its timeout), so many leads of a partition are enriched at once (ENRICH_CONCURRENCY;
 * leads of one key stay in order). With duplicate detection on (ENRICH_DUPLICATES_WINDOW), an
 * enriched lead goes through enricher.contacts first (`duplicatesStages`).
 */
export function enricherStage(
  config: EnricherConfig,
  now: () => number = Date.now,
  enricher: (accounts: AccountIndex | null) => Promise<LeadEnricher> = (accounts) =>
    buildEnricher(config.enrich, process.env, accounts),
): FactoryProvider<StageDefinition<unknown>[]> {
  return {
    provide: STAGES,
    inject: [TOPICS, AccountsTopicFollower, KAFKA, CODEC],
    useFactory: async (
      { topics }: PrefixedTopics,
      accounts: AccountsTopicFollower | null,
      kafka: Kafka,
      codec: AvroCodec,
    ): Promise<StageDefinition<unknown>[]> => {
      const enrich = await enricher(accounts?.accounts ?? null);
      const duplicates = config.enrich.duplicates;
      const detect = duplicates !== null;
      const enrichStage: StageDefinition<NormalizedLead> = {
        stage: 'enricher',
        ...stageSettings(config),
        concurrency: config.enrich.concurrency,
        topic: topics.normalized,
        schema: 'NormalizedLead',
        dlqTopic: topics.dlq,
        leadIdOf: (lead) => lead.lead_id,
        handle: (lead) => {
          const enriched = enrich.enrich(lead, now());
          return enriched instanceof Promise
            ? enriched.then((value) => afterEnrichment(value, topics, detect))
            : afterEnrichment(enriched, topics, detect);
        },
      };
      if (duplicates === null) return [enrichStage as StageDefinition<unknown>];
      const changelog = contactsChangelog(kafka, codec, topics.contactsSeen, config.groupId);
      const store = new ContactStore(topics.contactsSeen, changelog);
      return [
        enrichStage as StageDefinition<unknown>,
        ...duplicatesStages(config, { topics, store, windowMs: duplicates.windowMs }),
        contactsErasureStage(config, {
          topics,
          readChangelog: () => changelog(),
        }) as StageDefinition<unknown>,
      ];
    },
  };
}

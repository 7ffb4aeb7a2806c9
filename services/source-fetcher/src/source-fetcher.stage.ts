import {
  ATTEMPTS_HEADER,
  type RecordContext,
  type StageDefinition,
  type StageResult,
  dueAtOf,
  withDueAt,
} from '@lead-router/kafka';
import type { Logger } from '@lead-router/observability';
import type { SourceLeadReference } from '@lead-router/schemas';
import { SOURCE_FETCH_RETRIES, sourceFetchRetryTopic } from '@lead-router/schemas';
import {
  LOGGER,
  STAGES,
  TOPICS,
  stageSettings,
  type PrefixedTopics,
} from '@lead-router/service-kit';
import type { DestinationGate } from '@lead-router/sink-runtime';
import type { Provider } from '@nestjs/common';
import type { Counter } from 'prom-client';
import { PlatformFetcher } from './platform.fetcher';
import { FETCH_GATE, FETCH_METRICS } from './source-fetcher.providers';
import type { SourceFetcherConfig } from './source-fetcher.config';

const STAGE = 'source-fetcher';

export interface FetchStep {
  fetcher: PlatformFetcher;
  gate: DestinationGate;
  metrics: Counter<'source' | 'outcome'>;
  logger: Logger;
  now: () => number;
}

/**
 * One lead reference: take a call from the source's budget (shared by every instance through
 * Redis), fetch the lead, hand it to leads.raw; on a retriable failure put the reference on the
 * next retry topic, due after that retry's delay, and dead-letter it after the last. A spent
 * budget waits on the first retry topic without counting as a try.
 */
export async function fetchStep(
  reference: SourceLeadReference,
  ctx: RecordContext,
  config: SourceFetcherConfig,
  topics: PrefixedTopics,
  step: FetchStep,
): Promise<StageResult> {
  const source = config.sources.get(reference.source);
  const key = `${reference.platform}:${reference.platform_lead_id}`;
  if (source === undefined || source.platform !== reference.platform) {
    step.metrics.inc({ source: reference.source, outcome: 'dead' });
    return {
      kind: 'dead',
      code: 'unknown_source',
      error: `no ${reference.platform} source "${reference.source}" in SOURCES_FILE`,
      attempts: ctx.attempts,
    };
  }
  const again = (delayMs: number, attempts: number): StageResult => {
    const retry = Math.min(Math.max(attempts, 1), SOURCE_FETCH_RETRIES);
    return {
      kind: 'ok',
      outputs: [
        {
          topic: sourceFetchRetryTopic(retry, config.platform.topicPrefix),
          key,
          value: reference,
          headers: withDueAt({ [ATTEMPTS_HEADER]: String(attempts) }, step.now() + delayMs),
        },
      ],
    };
  };
  const budget = await step.gate.acquire(source.name, {
    windows: [{ points: source.fetch_budget.requests, seconds: source.fetch_budget.per_seconds }],
    concurrency: null,
  });
  if (!budget.granted) {
    step.metrics.inc({ source: source.name, outcome: 'throttled' });
    return again(Math.max(budget.retryInMs, config.retryDelaysMs[0]!), ctx.attempts - 1);
  }
  const result = await step.fetcher.fetch(source, reference).finally(() => budget.release());
  if (result.kind === 'lead') {
    step.metrics.inc({ source: source.name, outcome: 'ok' });
    return {
      kind: 'ok',
      outputs: [{ topic: topics.topics.raw, key: result.lead.lead_id, value: result.lead }],
    };
  }
  const context = { source: source.name, key, attempt: ctx.attempts, code: result.code };
  if (result.kind === 'retry' && ctx.attempts <= SOURCE_FETCH_RETRIES) {
    step.metrics.inc({ source: source.name, outcome: 'retry' });
    step.logger.warn({ ...context, reason: result.reason }, 'lead fetch failed; will retry');
    const delay = Math.max(config.retryDelaysMs[ctx.attempts - 1]!, result.retryAfterMs ?? 0);
    return again(delay, ctx.attempts);
  }
  step.metrics.inc({ source: source.name, outcome: 'dead' });
  return {
    kind: 'dead',
    code: result.kind === 'retry' ? `${result.code}_after_retries` : result.code,
    error: result.reason,
    attempts: ctx.attempts,
  };
}

/** sources.fetch and its retry topics -> the platform's API -> leads.raw, or the DLQ. */
export function sourceFetcherStage(config: SourceFetcherConfig): Provider {
  return {
    provide: STAGES,
    inject: [TOPICS, FETCH_GATE, FETCH_METRICS, LOGGER],
    useFactory: (
      topics: PrefixedTopics,
      gate: DestinationGate,
      metrics: Counter<'source' | 'outcome'>,
      logger: Logger,
    ): StageDefinition<SourceLeadReference>[] => {
      const step: FetchStep = {
        fetcher: new PlatformFetcher(config.fetchTimeoutMs),
        gate,
        metrics,
        logger,
        now: Date.now,
      };
      const settings = stageSettings(config);
      const definition = (
        topic: string,
        groupId: string,
        due: boolean,
      ): StageDefinition<SourceLeadReference> => ({
        stage: STAGE,
        ...settings,
        groupId,
        topic,
        schema: 'SourceLeadReference',
        dlqTopic: topics.topics.dlq,
        leadIdOf: () => null,
        handle: (reference, ctx) => fetchStep(reference, ctx, config, topics, step),
        ...(due
          ? { dueAt: (_r: SourceLeadReference, ctx: RecordContext) => dueAtOf(ctx.headers) }
          : {}),
      });
      return [
        definition(topics.topics.sourcesFetch, settings.groupId, false),
        ...Array.from({ length: SOURCE_FETCH_RETRIES }, (_, i) => {
          const topic = sourceFetchRetryTopic(i + 1, config.platform.topicPrefix);
          return definition(topic, `${settings.groupId}.${topic}`, true);
        }),
      ];
    },
  };
}

import {
  deliveryIdFor,
  deliveryOutcome,
  runAttempts,
  webhookRequest,
  type AttemptsResult,
} from '@lead-router/delivery';
import type { StageDefinition, StageOutput, StageResult } from '@lead-router/kafka';
import { createSpeedToLead } from '@lead-router/observability';
import type { RoutedLead } from '@lead-router/schemas';
import {
  METRICS_REGISTRY,
  STAGES,
  TOPICS,
  stageSettings,
  type PrefixedTopics,
} from '@lead-router/service-kit';
import type { Provider } from '@nestjs/common';
import { Counter, type Registry } from 'prom-client';
import type { SinkWebhookConfig } from './sink-webhook.config';
import { postWebhook } from './webhook.client';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/**
 * leads.routed -> POST to every webhook destination -> leads.delivered. The webhook-id is derived
 * from lead and destination, so a retry, a restart or a replay never looks like a new delivery.
 * A lead a destination refuses, or that keeps failing, gets a FAILED outcome and a dead letter.
 */
export function sinkWebhookStage(config: SinkWebhookConfig): Provider {
  return {
    provide: STAGES,
    inject: [TOPICS, METRICS_REGISTRY],
    useFactory: ({ topics }: PrefixedTopics, registry: Registry): StageDefinition<RoutedLead>[] => {
      const speedToLead = createSpeedToLead(registry);
      const attempts = new Counter({
        name: 'lead_router_delivery_attempts_total',
        help: 'HTTP delivery attempts by destination and final status',
        labelNames: ['destination', 'status'],
        registers: [registry],
      });
      const { secret, timeoutMs, policy } = config.webhook;

      const handle = async (routed: RoutedLead): Promise<StageResult> => {
        const outputs: StageOutput[] = [];
        let failed: Extract<AttemptsResult, { status: 'FAILED' }> | null = null;
        for (const destination of routed.destinations.filter((d) => d.type === 'webhook')) {
          const result = await runAttempts(policy, {
            send: () =>
              postWebhook(
                webhookRequest(routed, destination, secret, Date.now() / 1000),
                timeoutMs,
              ),
            sleep,
            random: Math.random,
            now: Date.now,
          });
          const completedAt = Date.now();
          attempts.inc({ destination: destination.id, status: result.status }, result.attempts);
          const outcome = deliveryOutcome({
            routed,
            destination,
            deliveryId: deliveryIdFor(routed.lead.lead_id, destination.id),
            status: result.status,
            attempts: result.attempts,
            httpStatus: result.httpStatus,
            externalId: result.status === 'DELIVERED' ? result.externalId : null,
            error: result.status === 'FAILED' ? result.error : null,
            completedAt,
          });
          if (result.status === 'DELIVERED') {
            speedToLead.observe(
              { source: routed.lead.source, destination: destination.id },
              outcome.speed_to_lead_ms / 1000,
            );
          } else {
            failed = result;
          }
          outputs.push({ topic: topics.delivered, key: routed.lead.lead_id, value: outcome });
        }
        if (failed) {
          return {
            kind: 'dead',
            code: failed.code,
            error: failed.error,
            attempts: failed.attempts,
            leadId: routed.lead.lead_id,
            outputs,
          };
        }
        return { kind: 'ok', outputs };
      };

      return [
        {
          stage: 'sink-webhook',
          ...stageSettings(config),
          topic: topics.routed,
          schema: 'RoutedLead',
          dlqTopic: topics.dlq,
          leadIdOf: (routed) => routed.lead.lead_id,
          handle,
        },
      ];
    },
  };
}

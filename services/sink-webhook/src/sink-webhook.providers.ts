import {
  SINK_ADAPTER,
  sinkRuntimeProviders,
  sinkStagesProvider,
  withErasureStage,
} from '@lead-router/sink-kit';
import type { Provider } from '@nestjs/common';
import type { SinkWebhookConfig } from './sink-webhook.config';
import { WebhookAdapter, cachedCredentials } from './webhook.adapter';
import { WebhookClient } from './webhook.client';

/**
 * The webhook adapter on the shared sink layer: the layer's stages on leads.routed and
 * sink-webhook's retry tiers, each destination configured by the rule-set version that routed
 * the lead. A destination's default secret reference, `{ env: WEBHOOK_SECRET }`, reads the
 * sink's WEBHOOK_SECRET (the demo secret when unset, as `npm start` runs it).
 */
export function sinkWebhookProviders(config: SinkWebhookConfig): Provider[] {
  return [
    ...sinkRuntimeProviders(config),
    {
      provide: WebhookClient,
      // One connection per request the sink may have in flight, per destination.
      useFactory: () => new WebhookClient({ connections: config.sink.maxInFlight }),
    },
    {
      provide: SINK_ADAPTER,
      inject: [WebhookClient],
      useFactory: (client: WebhookClient) =>
        new WebhookAdapter({
          post: (request, options) => client.post(request, options),
          secret: cachedCredentials({ WEBHOOK_SECRET: config.webhook.secret, ...process.env }),
          defaultTimeoutMs: config.webhook.timeoutMs,
        }),
    },
  ];
}

export function sinkWebhookStages(config: SinkWebhookConfig): Provider {
  return withErasureStage('sink-webhook', config, sinkStagesProvider('sink-webhook', config));
}

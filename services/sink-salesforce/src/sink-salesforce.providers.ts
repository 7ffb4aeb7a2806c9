import { SalesforceAdapter } from '@lead-router/crm-clients';
import type { Logger } from '@lead-router/observability';
import { LOGGER, METRICS_REGISTRY } from '@lead-router/service-kit';
import {
  SINK_ADAPTER,
  sinkRuntimeProviders,
  sinkStagesProvider,
  withErasureStage,
} from '@lead-router/sink-kit';
import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import type { Registry } from 'prom-client';
import { salesforceApiUsageGauges } from './salesforce.metrics';
import type { SinkSalesforceConfig } from './sink-salesforce.config';

/** The adapter, its keep-alive connections closed once the stages have drained. */
class SalesforceSinkAdapter extends SalesforceAdapter implements OnApplicationShutdown {
  onApplicationShutdown(): Promise<void> {
    return this.close();
  }
}

/**
 * The Salesforce adapter on the shared sink layer: the layer's stages on leads.routed and
 * sink-salesforce's retry tiers, each destination configured by the rule-set version that
 * routed the lead; the org's API usage from `Sforce-Limit-Info` exported per destination.
 */
export function sinkSalesforceProviders(config: SinkSalesforceConfig): Provider[] {
  return [
    ...sinkRuntimeProviders(config),
    {
      provide: SINK_ADAPTER,
      inject: [METRICS_REGISTRY, LOGGER],
      useFactory: (registry: Registry, logger: Logger) => {
        const usage = salesforceApiUsageGauges(registry);
        return new SalesforceSinkAdapter({
          requestTimeoutMs: config.sink.requestTimeoutMs,
          spentQuotaHoldMs: config.salesforce.spentQuotaHoldMs,
          onApiUsage: (destination, { used, allocation }) => {
            usage.used.set({ destination }, used);
            usage.allocation.set({ destination }, allocation);
          },
          onStop: (destination, alert) =>
            logger.error(
              { destination, alert },
              'Salesforce refused the destination’s credentials',
            ),
        });
      },
    },
  ];
}

export function sinkSalesforceStages(config: SinkSalesforceConfig): Provider {
  return withErasureStage('sink-salesforce', config, sinkStagesProvider('sink-salesforce', config));
}

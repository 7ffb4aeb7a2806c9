import { type DynamicModule, type Provider, type Type } from '@nestjs/common';
import type { PlatformConfig } from '@lead-router/config';
import type { BatchingProducerOptions } from '@lead-router/kafka';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { MetricsController } from './metrics.controller';
import { PipelineLifecycle } from './pipeline.lifecycle';
import { platformProviders } from './platform.providers';
import type { HealthProbe } from './health-probe';
import { SuppressionList } from '@lead-router/privacy';
import type { Logger } from '@lead-router/observability';
import { HEALTH_PROBES, LOGGER, SERVICE_PROBES, STAGES, SUPPRESSION_LIST } from './tokens';

export interface ServiceModuleOptions {
  service: string;
  config: PlatformConfig;
  /** Providers of the service itself (its stage definitions, controllers' dependencies). */
  providers?: Provider[];
  controllers?: Type[];
  /** A provider for STAGES (StageDefinition[]); a service without consumers gives none. */
  stages?: Provider;
  producer?: BatchingProducerOptions;
}

/** One composition root per service: the platform providers plus the service's own pieces. */
export function serviceModule(target: Type, options: ServiceModuleOptions): DynamicModule {
  return {
    module: target,
    imports: [TerminusModule.forRoot({ logger: false })],
    controllers: [HealthController, MetricsController, ...(options.controllers ?? [])],
    providers: [
      ...platformProviders(options.service, options.config, options.producer),
      options.stages ?? { provide: STAGES, useValue: [] },
      // Only a service that consumes skips records, so only it reads the erasure requests.
      ...(options.stages
        ? [
            {
              provide: SUPPRESSION_LIST,
              inject: [LOGGER],
              useFactory: (logger: Logger) => new SuppressionList(logger),
            },
          ]
        : []),
      PipelineLifecycle,
      {
        provide: HEALTH_PROBES,
        inject: [PipelineLifecycle, { token: SERVICE_PROBES, optional: true }],
        useFactory: (lifecycle: PipelineLifecycle, own?: HealthProbe[]) => [
          ...lifecycle.probes,
          ...(own ?? []),
        ],
      },
      ...(options.providers ?? []),
    ],
  };
}

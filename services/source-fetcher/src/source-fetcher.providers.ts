import { OnApplicationShutdown, type Provider } from '@nestjs/common';
import { createSourceFetchMetrics } from '@lead-router/observability';
import { METRICS_REGISTRY } from '@lead-router/service-kit';
import { LimiterDestinationGate } from '@lead-router/sink-runtime';
import Redis from 'ioredis';
import type { Registry } from 'prom-client';
import type { SourceFetcherConfig } from './source-fetcher.config';

export const FETCH_GATE = Symbol('FETCH_GATE');
export const FETCH_METRICS = Symbol('FETCH_METRICS');

/** The Redis connection of the fetch budgets, closed when the service stops. */
export class FetchRedis implements OnApplicationShutdown {
  constructor(readonly client: Redis) {}

  async onApplicationShutdown(): Promise<void> {
    await this.client.quit().catch(() => this.client.disconnect());
  }
}

/**
 * The budgets of the platforms' APIs, per source, in Redis (sink-runtime's limiter gate), so
 * every instance of source-fetcher draws on the same calls; keys under the topic prefix.
 */
export function sourceFetcherProviders(config: SourceFetcherConfig): Provider[] {
  return [
    {
      provide: FetchRedis,
      useFactory: () =>
        new FetchRedis(new Redis(config.redisUrl, { lazyConnect: false, maxRetriesPerRequest: 3 })),
    },
    {
      provide: FETCH_GATE,
      inject: [FetchRedis],
      useFactory: (redis: FetchRedis) =>
        new LimiterDestinationGate({
          kind: 'redis',
          client: redis.client,
          keyPrefix: `${config.platform.topicPrefix}lead-router:source-fetch`,
        }),
    },
    {
      provide: FETCH_METRICS,
      inject: [METRICS_REGISTRY],
      useFactory: (registry: Registry) => createSourceFetchMetrics(registry),
    },
  ];
}

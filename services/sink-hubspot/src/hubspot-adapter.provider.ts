import { HubSpotClient } from '@lead-router/crm-clients';
import type { HubSpotDestination } from '@lead-router/routing';
import { SINK_ADAPTER } from '@lead-router/sink-kit';
import type { SinkAdapter } from '@lead-router/sink-runtime';
import type { OnApplicationShutdown, Provider } from '@nestjs/common';
import type { SinkHubspotConfig } from './sink-hubspot.config';

/** The HubSpot client, its connections closed once the stages have drained. */
export class HubSpotClientLifecycle implements OnApplicationShutdown {
  constructor(readonly client: HubSpotClient) {}

  onApplicationShutdown(): Promise<void> {
    return this.client.close();
  }
}

/** The layer's adapter for `hubspot` destinations: the HubSpot client from crm-clients. */
export function hubspotAdapterProviders(config: SinkHubspotConfig): Provider[] {
  return [
    {
      provide: HubSpotClientLifecycle,
      useFactory: () =>
        new HubSpotClientLifecycle(
          new HubSpotClient({ requestTimeoutMs: config.sink.requestTimeoutMs }),
        ),
    },
    {
      provide: SINK_ADAPTER,
      inject: [HubSpotClientLifecycle],
      useFactory: ({ client }: HubSpotClientLifecycle): SinkAdapter<HubSpotDestination> => client,
    },
  ];
}

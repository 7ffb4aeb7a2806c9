import { ConfigError, type CredentialSources, resolveCredential } from '@lead-router/config';
import {
  type HubSpotUpsertBatch,
  classifyHubSpotResponse,
  HUBSPOT_MAX_INPUTS,
  hubspotUpsertBatches,
} from '@lead-router/crm';
import type { LeadVerdict } from '@lead-router/delivery';
import { type HubSpotDestination, hubspotMapping } from '@lead-router/routing';
import type { Destination, RoutedLead } from '@lead-router/schemas';
import { Agent, type Dispatcher } from 'undici';
import { crmRequest, jsonHeaders, jsonOrNull } from './crm.request';

/** One lead for one HubSpot destination, as the sink layer hands it over. */
export interface HubSpotTask {
  readonly lead: RoutedLead;
  /** The destination as the router wrote it, with the owner it chose there. */
  readonly destination: Destination;
  /** The destination's configuration in the rule-set version that routed the lead. */
  readonly config: HubSpotDestination;
}

export interface HubSpotClientOptions {
  /** Aborts one request that takes longer, whatever the caller's signal allows. */
  requestTimeoutMs: number;
  /** Connections kept open per HubSpot origin. */
  connections?: number;
  /** Where credential references are read; the process environment and files by default. */
  credentials?: CredentialSources;
  now?: () => number;
  /** The HTTP dispatcher; an own keep-alive pool by default. */
  dispatcher?: Dispatcher;
}

/**
 * Sends contacts batch upserts to HubSpot for the sink layer: one request per call (the layer
 * has taken one request from the destination's budget for it), built and classified by
 * @lead-router/crm, so this class only does I/O. Structurally a sink-runtime `SinkAdapter`.
 */
export class HubSpotClient {
  readonly type = 'hubspot';
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;
  private readonly now: () => number;

  constructor(private readonly options: HubSpotClientOptions) {
    this.now = options.now ?? Date.now;
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher =
      options.dispatcher ?? new Agent({ connections: options.connections ?? 16, pipelining: 1 });
  }

  maxBatchSize(config: HubSpotDestination): number {
    return Math.min(HUBSPOT_MAX_INPUTS, config.batch?.max_size ?? HUBSPOT_MAX_INPUTS);
  }

  /**
   * One verdict per task. A missing token stops the destination (a person must set it); a
   * network failure or timeout throws, which the layer retries as a whole.
   */
  async send(tasks: readonly HubSpotTask[], signal: AbortSignal): Promise<LeadVerdict[]> {
    const first = tasks[0];
    if (first === undefined) return [];
    const config = first.config;
    const plan = hubspotUpsertBatches(
      tasks.map((t) => t.lead),
      { id: first.destination.id },
      hubspotMapping(config),
    );
    const [batch, ...later] = plan.batches;
    if (batch === undefined) return plan.rejected;

    let token: string;
    try {
      token = resolveCredential(config.token, this.options.credentials);
    } catch (error) {
      if (!(error instanceof ConfigError)) throw error;
      const alert = `HubSpot destination ${first.destination.id} has no usable token: ${error.message}`;
      return [
        ...plan.rejected,
        ...[batch, ...later].flatMap((b) =>
          b.leads.map(
            (l) => ({ leadId: l.lead.lead_id, verdict: { kind: 'stop', alert } }) as const,
          ),
        ),
      ];
    }

    const answered = await this.post(config, token, batch, signal);
    // Leads that share an id property value with another lead of this call went to a later
    // batch (HubSpot refuses a repeated id in one batch); the layer granted one request, so they
    // wait for their next attempt instead of spending an unbudgeted one.
    const deferred: LeadVerdict[] = later.flatMap((b) =>
      b.leads.map((l) => ({
        leadId: l.lead.lead_id,
        verdict: {
          kind: 'retry',
          reason: `another lead of the batch has the same ${config.id_property}; sent on the next attempt`,
        },
      })),
    );
    return [...plan.rejected, ...answered, ...deferred];
  }

  /** Closes the connections this client opened. */
  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async post(
    config: HubSpotDestination,
    token: string,
    batch: HubSpotUpsertBatch,
    signal: AbortSignal,
  ): Promise<LeadVerdict[]> {
    const url = new URL(batch.path.replace(/^\//, ''), withTrailingSlash(config.base_url));
    const response = await crmRequest({
      url,
      method: batch.method,
      headers: jsonHeaders(token),
      body: JSON.stringify(batch.body),
      timeoutMs: this.options.requestTimeoutMs,
      signal,
      dispatcher: this.dispatcher,
    });
    // HubSpot answers JSON; anything else (a proxy's HTML page) classifies by status alone.
    return classifyHubSpotResponse(
      response.statusCode,
      response.headers,
      jsonOrNull(response.text),
      batch,
      {
        now: this.now(),
        accountTimeZone: config.account_time_zone,
      },
    );
  }
}

/** `https://host/prefix` and `https://host/prefix/` both keep `prefix` when the path is joined. */
function withTrailingSlash(base: string): string {
  return base.endsWith('/') ? base : `${base}/`;
}

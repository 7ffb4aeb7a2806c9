import {
  classifySalesforceResponse,
  headerValue,
  parseSforceLimitInfo,
  SALESFORCE_MAX_RECORDS,
  type SalesforceUpsertBatch,
  salesforceUpsertBatches,
  type SforceApiUsage,
} from '@lead-router/crm';
import type { DeliveryVerdict, LeadVerdict } from '@lead-router/delivery';
import { errorMessage } from '@lead-router/errors';
import { type SalesforceDestination, salesforceMapping } from '@lead-router/routing';
import type { Destination, RoutedLead } from '@lead-router/schemas';
import { Agent, type Dispatcher } from 'undici';
import { crmRequest, jsonHeaders } from './crm.request';
import { SalesforceAuthError } from './salesforce.auth.error';
import {
  type SalesforceGrant,
  type SalesforceSession,
  SalesforceSessionCache,
} from './salesforce.session-cache';
import { type SalesforceGrantOptions, salesforceGrant } from './salesforce.token-grants';

/** One lead for one Salesforce destination: the shape of the sink layer's `DeliveryTask`. */
export interface SalesforceTask {
  readonly lead: RoutedLead;
  readonly destination: Destination;
  readonly config: SalesforceDestination;
}

export interface SalesforceAdapterOptions {
  /** Aborts one upsert or token request that takes longer, whatever the caller's signal. */
  requestTimeoutMs: number;
  /** Called with the org's API usage from every `Sforce-Limit-Info` header, per destination. */
  onApiUsage?: (destination: string, usage: SforceApiUsage) => void;
  /**
   * How long an answer that reported the daily allocation spent (`Sforce-Limit-Info` used ≥
   * allocation) holds further requests back, answered `wait_for_quota` without a call; after it
   * one request probes the rolling 24-hour window again. Default one minute.
   */
  spentQuotaHoldMs?: number;
  now?: () => number;
  /** Told when a destination's session was refused twice or no token could be minted. */
  onStop?: (destination: string, alert: string) => void;
  dispatcher?: Dispatcher;
  /** How a destination's grant is built; tests pass their own. */
  grantFor?: (options: SalesforceGrantOptions) => SalesforceGrant;
}

/**
 * Upserts leads into Salesforce with sObject Collections (`PATCH
 * /services/data/vXX.X/composite/sobjects/{SObject}/{ExternalIdField}`), one request per batch of
 * at most 200, reading each record's result (libs/crm builds the requests and classifies the
 * answers). Structurally a sink layer `SinkAdapter` for type `salesforce`.
 *
 * Sessions are kept per connected app (login URL and auth), shared by every request: a 401
 * INVALID_SESSION_ID mints one new token for all the requests that saw it, and each replays its
 * batch once; a 401 on the new token, or a token endpoint that refuses the client, is a
 * configuration fault, answered `stop` with an alert.
 */
export class SalesforceAdapter {
  readonly type = 'salesforce';
  private readonly sessions = new Map<string, SalesforceSessionCache>();
  private readonly usage = new Map<string, SforceApiUsage & { at: number }>();
  private readonly dispatcher: Dispatcher;
  private readonly ownsDispatcher: boolean;

  constructor(private readonly options: SalesforceAdapterOptions) {
    this.ownsDispatcher = options.dispatcher === undefined;
    this.dispatcher = options.dispatcher ?? new Agent({ connections: 64 });
  }

  maxBatchSize(config: SalesforceDestination): number {
    return Math.min(config.batch.max_size, SALESFORCE_MAX_RECORDS);
  }

  /** The org's API usage as the last answer for this destination reported it. */
  apiUsage(destination: string): SforceApiUsage | null {
    const seen = this.usage.get(destination);
    return seen ? { used: seen.used, allocation: seen.allocation } : null;
  }

  async send(tasks: readonly SalesforceTask[], signal: AbortSignal): Promise<LeadVerdict[]> {
    const first = tasks[0];
    if (first === undefined) return [];
    const destination = first.destination.id;
    const plan = salesforceUpsertBatches(
      tasks.map((t) => t.lead),
      { id: destination },
      salesforceMapping(first.config),
    );
    const verdicts = [...plan.rejected];
    const spent = this.spentQuota(destination);
    for (const batch of plan.batches) {
      if (spent !== null) {
        verdicts.push(
          ...batch.leads.map((routed) => ({
            leadId: routed.lead.lead_id,
            verdict: { kind: 'wait_for_quota' as const, reason: spent },
          })),
        );
        continue;
      }
      verdicts.push(...(await this.upsert(destination, first.config, batch, signal)));
    }
    return verdicts;
  }

  /** Why requests are held back: the last answer said the daily allocation is spent. */
  private spentQuota(destination: string): string | null {
    const seen = this.usage.get(destination);
    const now = (this.options.now ?? Date.now)();
    if (seen === undefined || seen.used < seen.allocation) return null;
    if (now - seen.at >= (this.options.spentQuotaHoldMs ?? 60_000)) return null;
    return `the org's daily API allocation is spent (api-usage ${seen.used}/${seen.allocation})`;
  }

  async close(): Promise<void> {
    if (this.ownsDispatcher) await this.dispatcher.close();
  }

  private async upsert(
    destination: string,
    config: SalesforceDestination,
    batch: SalesforceUpsertBatch,
    signal: AbortSignal,
  ): Promise<LeadVerdict[]> {
    const sessions = this.sessionsFor(config);
    const all = (verdict: DeliveryVerdict) =>
      batch.leads.map((routed) => ({ leadId: routed.lead.lead_id, verdict }));
    const stop = (alert: string) => {
      this.options.onStop?.(destination, alert);
      return all({ kind: 'stop', alert });
    };

    let session: SalesforceSession;
    try {
      session = await sessions.current();
    } catch (error) {
      return this.authFailed(error, stop);
    }
    const verdicts = await this.patch(destination, config, session, batch, signal);
    if (!needsRefresh(verdicts)) return verdicts;

    try {
      session = await sessions.refresh(session);
    } catch (error) {
      return this.authFailed(error, stop);
    }
    const replayed = await this.patch(destination, config, session, batch, signal);
    if (!needsRefresh(replayed)) return replayed;
    const reason = replayed[0]?.verdict.kind === 'refresh_token' ? replayed[0].verdict.reason : '';
    return stop(
      `Salesforce refused a newly minted ${config.auth.flow} token for destination ${destination} (${reason}): the connected app, its user or its API access was revoked; fix it, and the destination resumes`,
    );
  }

  private authFailed(error: unknown, stop: (alert: string) => LeadVerdict[]): LeadVerdict[] {
    // A token endpoint that is down is retried like any unreachable destination.
    if (!(error instanceof SalesforceAuthError) || error.retriable) throw error;
    return stop(error.message);
  }

  private async patch(
    destination: string,
    config: SalesforceDestination,
    session: SalesforceSession,
    batch: SalesforceUpsertBatch,
    signal: AbortSignal,
  ): Promise<LeadVerdict[]> {
    const base = (config.instance_url ?? session.instanceUrl).replace(/\/+$/, '');
    const response = await crmRequest({
      url: `${base}${batch.path}`,
      method: batch.method,
      headers: jsonHeaders(session.accessToken),
      body: JSON.stringify(batch.body),
      timeoutMs: this.options.requestTimeoutMs,
      signal,
      dispatcher: this.dispatcher,
    });
    const usage = parseSforceLimitInfo(headerValue(response.headers, 'Sforce-Limit-Info'));
    if (usage !== null) {
      this.usage.set(destination, { ...usage, at: (this.options.now ?? Date.now)() });
      this.options.onApiUsage?.(destination, usage);
    }
    return classifySalesforceResponse(
      response.statusCode,
      response.headers,
      parseBody(response.text),
      batch,
    );
  }

  private sessionsFor(config: SalesforceDestination): SalesforceSessionCache {
    // Credential references, never their values, so the key holds no secret.
    const key = JSON.stringify([config.login_url, config.auth]);
    let cache = this.sessions.get(key);
    if (cache === undefined) {
      const grantFor = this.options.grantFor ?? salesforceGrant;
      cache = new SalesforceSessionCache(
        grantFor({
          loginUrl: config.login_url,
          auth: config.auth,
          timeoutMs: this.options.requestTimeoutMs,
          dispatcher: this.dispatcher,
        }),
      );
      this.sessions.set(key, cache);
    }
    return cache;
  }
}

/** A 401 answers every record of the batch alike: the session, not a record, was refused. */
function needsRefresh(verdicts: readonly LeadVerdict[]): boolean {
  return verdicts.length > 0 && verdicts.every((v) => v.verdict.kind === 'refresh_token');
}

function parseBody(text: string): unknown {
  try {
    return text === '' ? null : JSON.parse(text);
  } catch (error) {
    return { errorCode: 'UNPARSABLE_BODY', message: errorMessage(error) };
  }
}

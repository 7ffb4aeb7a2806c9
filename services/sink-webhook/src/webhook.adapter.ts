import { type CredentialRef, resolveCredential } from '@lead-router/config';
import {
  type DeliveryVerdict,
  type LeadVerdict,
  encodedWebhookRequest,
  webhookVerdict,
} from '@lead-router/delivery';
import { errorMessage } from '@lead-router/errors';
import type { WebhookDestination } from '@lead-router/routing';
import { type DeliveryTask, type SinkAdapter, durationMs } from '@lead-router/sink-runtime';
import type { PostOptions, WebhookPost, WebhookResponse } from './webhook.client';

const SECRET_FORMAT = /^whsec_[A-Za-z0-9+/=]+$/;

export interface WebhookAdapterOptions {
  post(request: WebhookPost, options: PostOptions): Promise<WebhookResponse>;
  /** The secret a destination's `secret` reference points to; throws when it cannot be read. */
  secret(ref: CredentialRef): string;
  /** For a destination without its own `timeout`. */
  defaultTimeoutMs: number;
  now?: () => number;
}

/**
 * sink-webhook's part of the sink layer: one signed POST per lead to the destination's `url` as
 * the rule-set version that routed it says, the answer classified by `webhookVerdict`. The
 * webhook-id is derived from lead and destination, so a retry, a restart or a replay never looks
 * like a new delivery to the receiver.
 */
export class WebhookAdapter implements SinkAdapter<WebhookDestination> {
  readonly type = 'webhook';
  private readonly now: () => number;

  constructor(private readonly options: WebhookAdapterOptions) {
    this.now = options.now ?? Date.now;
  }

  maxBatchSize(): number {
    return 1;
  }

  send(
    tasks: readonly DeliveryTask<WebhookDestination>[],
    signal: AbortSignal,
  ): Promise<LeadVerdict[]> {
    return Promise.all(
      tasks.map(async (task) => ({
        leadId: task.lead.lead.lead_id,
        verdict: await this.sendOne(task, signal),
      })),
    );
  }

  private async sendOne(
    task: DeliveryTask<WebhookDestination>,
    signal: AbortSignal,
  ): Promise<DeliveryVerdict> {
    const { config, destination } = task;
    let secret: string;
    try {
      secret = this.options.secret(config.secret);
    } catch (error) {
      return { kind: 'stop', alert: `webhook ${destination.id}: ${errorMessage(error)}` };
    }
    if (!SECRET_FORMAT.test(secret)) {
      return {
        kind: 'stop',
        alert: `webhook ${destination.id}: its signing secret is not whsec_ followed by base64; fix the ${describe(config.secret)} it names`,
      };
    }
    const request = encodedWebhookRequest(
      task.lead,
      { ...destination, url: config.url },
      secret,
      this.now() / 1000,
      task.deliveryId,
    );
    // Tracing on: the receiver gets the lead's delivery span as its W3C parent.
    if (task.trace !== undefined) request.headers = { ...request.headers, ...task.trace };
    const response = await this.options.post(request, {
      timeoutMs: config.timeout ? durationMs(config.timeout) : this.options.defaultTimeoutMs,
      allowPrivate: config.allow_private,
      signal,
    });
    if (response.refused !== undefined) {
      return { kind: 'permanent', code: 'address_refused', message: response.refused };
    }
    return webhookVerdict(response, this.now());
  }
}

function describe(ref: CredentialRef): string {
  return 'env' in ref ? `variable ${ref.env}` : `file ${ref.file}`;
}

/**
 * Resolves credential references, each kept for `ttlMs` so a mounted secret is not read for
 * every lead and a rotated one is picked up within that time.
 */
export function cachedCredentials(
  env: Readonly<Record<string, string | undefined>>,
  ttlMs = 60_000,
  now: () => number = Date.now,
): (ref: CredentialRef) => string {
  const cache = new Map<string, { value: string; until: number }>();
  return (ref) => {
    const key = JSON.stringify(ref);
    const hit = cache.get(key);
    if (hit && hit.until > now()) return hit.value;
    const value = resolveCredential(ref, { env });
    cache.set(key, { value, until: now() + ttlMs });
    return value;
  };
}

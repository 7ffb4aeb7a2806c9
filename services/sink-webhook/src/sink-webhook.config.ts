import { loadStageConfig, type StageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { z } from 'zod';

/** The demo secret `npm start` uses; production sets WEBHOOK_SECRET. */
export const DEMO_WEBHOOK_SECRET = 'whsec_bGVhZC1yb3V0ZXItZGVtby1zZWNyZXQtMzJieXRlcyE=';

const extra = z
  .object({
    WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=]+$/, 'expected whsec_ followed by base64')
      .default(DEMO_WEBHOOK_SECRET),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
    WEBHOOK_MAX_ATTEMPTS: z.coerce.number().int().min(1).max(50).default(6),
    WEBHOOK_BACKOFF_BASE_MS: z.coerce.number().int().min(1).default(200),
    WEBHOOK_BACKOFF_MAX_MS: z.coerce.number().int().min(1).default(10_000),
  })
  .transform((e) => ({
    webhook: {
      secret: e.WEBHOOK_SECRET,
      timeoutMs: e.WEBHOOK_TIMEOUT_MS,
      policy: {
        maxAttempts: e.WEBHOOK_MAX_ATTEMPTS,
        baseMs: e.WEBHOOK_BACKOFF_BASE_MS,
        maxMs: e.WEBHOOK_BACKOFF_MAX_MS,
      },
    },
  }));

export type SinkWebhookConfig = StageConfig & z.infer<typeof extra>;

export function loadSinkWebhookConfig(): SinkWebhookConfig {
  // An HTTP sink waits on the network, not the CPU: many leads in flight by default.
  return loadStageConfig('sink-webhook', defaultPort('sink-webhook'), extra, {
    STAGE_CONCURRENCY: '64',
    STAGE_PARTITIONS_CONCURRENTLY: '6',
    ...process.env,
  });
}

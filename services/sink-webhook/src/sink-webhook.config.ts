import { loadStageConfig, type ModeRequirement, type StageConfig } from '@lead-router/config';
import { defaultPort } from '@lead-router/schemas';
import { SINK_REQUIREMENTS, sinkEnvShape, sinkSettingsOf } from '@lead-router/sink-kit';
import { z } from 'zod';

/** The demo secret `npm start` uses; outside demo mode it is refused and WEBHOOK_SECRET is required. */
export const DEMO_WEBHOOK_SECRET = 'whsec_bGVhZC1yb3V0ZXItZGVtby1zZWNyZXQtMzJieXRlcyE=';

const SINK_WEBHOOK_REQUIREMENTS: readonly ModeRequirement[] = [
  ...SINK_REQUIREMENTS,
  {
    key: 'WEBHOOK_SECRET',
    what: 'its own signing secret (whsec_ and base64), the secret of every webhook destination without one of its own',
    demoValue: DEMO_WEBHOOK_SECRET,
    isDemoSecret: (value) => value.trim() === DEMO_WEBHOOK_SECRET,
  },
];

const extra = z
  .object({
    ...sinkEnvShape,
    /** What a destination's default secret reference, `{ env: WEBHOOK_SECRET }`, reads. */
    WEBHOOK_SECRET: z
      .string()
      .regex(/^whsec_[A-Za-z0-9+/=]+$/, 'expected whsec_ followed by base64'),
    WEBHOOK_TIMEOUT_MS: z.coerce.number().int().min(100).default(10_000),
  })
  .transform((e) => ({
    sink: sinkSettingsOf(e),
    webhook: { secret: e.WEBHOOK_SECRET, timeoutMs: e.WEBHOOK_TIMEOUT_MS },
  }));

export type SinkWebhookConfig = StageConfig & z.infer<typeof extra>;

export function loadSinkWebhookConfig(
  env: Readonly<Record<string, string | undefined>> = process.env,
): SinkWebhookConfig {
  // An HTTP sink waits on the network, not the CPU: many leads in flight by default. A webhook
  // request carries one lead, so nothing is gained by lingering for more.
  return loadStageConfig(
    'sink-webhook',
    defaultPort('sink-webhook'),
    extra,
    {
      STAGE_CONCURRENCY: '64',
      SINK_LINGER_MS: '100',
      SINK_FETCH_MIN_BYTES: '1',
      STAGE_PARTITIONS_CONCURRENTLY: '6',
      ...env,
    },
    SINK_WEBHOOK_REQUIREMENTS,
  );
}

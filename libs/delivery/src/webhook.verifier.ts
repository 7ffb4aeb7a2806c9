import type { Result } from '@lead-router/errors';
import { Webhook } from 'standardwebhooks';

/**
 * Checks a Standard Webhooks signature and returns the parsed body. The package compares the
 * `webhook-timestamp` against the system clock itself (±5 minutes), so this is for receivers and
 * tests, not for replaying old deliveries.
 */
export function verifyWebhook(
  secret: string,
  headers: Record<string, string>,
  body: string | Buffer,
): Result<unknown, string> {
  try {
    return { ok: true, value: new Webhook(secret).verify(body, headers) };
  } catch (error) {
    return { ok: false, error: error instanceof Error ? error.message : String(error) };
  }
}

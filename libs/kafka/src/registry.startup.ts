import { LeadRouterError, errorMessage } from '@lead-router/errors';
import { retryWhile } from './retry';

/** Where a start waiting for the registry reports each failed attempt. */
export interface RegistryStartLogger {
  warn(context: object, message: string): void;
}

export interface RegistryStartOptions {
  /** The registry's URL, named in every message. */
  registryUrl: string;
  /** How long to keep trying before giving up; the service then exits non-zero. */
  timeoutMs: number;
  logger: RegistryStartLogger;
  /** First wait between attempts; it doubles up to `maxDelayMs`. */
  initialDelayMs?: number;
  maxDelayMs?: number;
  now?: () => number;
  sleep?: (ms: number) => Promise<void>;
}

/** The registry stayed unreachable (or refused) for the whole start timeout. */
export class RegistryUnavailableError extends LeadRouterError {
  constructor(registryUrl: string, waitedMs: number, attempts: number, cause: unknown) {
    super(
      `schema registry ${registryUrl} unreachable at start for ${Math.round(waitedMs / 1000)} s ` +
        `(${attempts} attempts; last error: ${reason(cause)}); exiting so that the service is restarted`,
      'registry_unavailable',
      { retriable: true, cause, context: { registryUrl, attempts } },
    );
  }
}

/**
 * Runs `register` (the service's schema registrations) until it succeeds, waiting between
 * attempts with a doubling delay capped at `maxDelayMs`, and logging each failure with the
 * registry's URL and the reason. A registry that restarts (Apicurio takes ~11 s) then costs a
 * short wait instead of a crash loop; one that stays away past `timeoutMs` ends in a
 * RegistryUnavailableError, so the process exits non-zero and its orchestrator sees it. A refusal
 * that no retry can change (an incompatible schema, bad credentials) is thrown at once.
 */
export function registerWhenReachable(
  register: () => Promise<void>,
  options: RegistryStartOptions,
): Promise<void> {
  return retryWhile(register, {
    worthRetrying,
    timeoutMs: options.timeoutMs,
    initialDelayMs: options.initialDelayMs ?? 500,
    maxDelayMs: options.maxDelayMs ?? 10_000,
    onRetry: ({ err, attempt, delayMs }) =>
      options.logger.warn(
        { registryUrl: options.registryUrl, attempt, retryInMs: delayMs, reason: reason(err) },
        `schema registry ${options.registryUrl} unreachable at start: ${reason(err)}; ` +
          `retrying in ${delayMs} ms`,
      ),
    giveUp: ({ err, attempt, waitedMs }) =>
      new RegistryUnavailableError(options.registryUrl, waitedMs, attempt, err),
    now: options.now,
    sleep: options.sleep,
  });
}

/**
 * Refusals no retry changes: bad credentials, an unknown subject, a schema the registry will not
 * take (422). The registry client reports a connection it could not make as a 400, so a 400 is
 * retried like a 5xx.
 */
const FINAL_STATUSES = new Set([401, 403, 404, 422]);

function worthRetrying(err: unknown): boolean {
  if (err instanceof LeadRouterError) return err.retriable;
  if (/incompatible/i.test(errorMessage(err))) return false;
  const status = (err as { status?: unknown } | null)?.status;
  return typeof status !== 'number' || !FINAL_STATUSES.has(status);
}

/** The error's message with its cause's (fetch's "fetch failed" says nothing on its own). */
function reason(err: unknown): string {
  const message = errorMessage(err);
  const cause = (err as { cause?: unknown } | null)?.cause;
  if (cause === undefined || cause === null) return message;
  const code = (cause as { code?: unknown }).code;
  return `${message} (${typeof code === 'string' ? code : errorMessage(cause)})`;
}

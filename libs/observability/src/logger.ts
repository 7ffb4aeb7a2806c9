import pino, { type Logger } from 'pino';

export type { Logger } from 'pino';

/**
 * Contact details never reach a log line: any key named like one is censored wherever it sits
 * (three levels deep covers `lead.email`, `err.lead.phone` and a LeadRouterError's
 * `err.context.lead.email`; pino serializes the error, with its code and context, before this).
 */
const piiKeys = ['email', 'phone', 'first_name', 'last_name'];
export const redactPaths = piiKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

export function createLogger(service: string, level: string = 'info'): Logger {
  return pino({
    level,
    base: { service },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label) => ({ level: label }) },
  });
}

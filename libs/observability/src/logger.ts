import pino, { type Logger, type LoggerOptions } from 'pino';

export type { Logger } from 'pino';

/**
 * Contact details never reach a log line: any key named like one is censored wherever it sits
 * (three levels deep covers `lead.email`, `err.lead.phone` and a LeadRouterError's
 * `err.context.lead.email`; pino serializes the error, with its code and context, before this).
 * The capitalized forms are the CRMs' field names (Salesforce `Email`, `MobilePhone`).
 */
const piiKeys = [
  'email',
  'phone',
  'first_name',
  'last_name',
  'firstname',
  'lastname',
  'full_name',
  'Email',
  'Phone',
  'MobilePhone',
  'FirstName',
  'LastName',
];
export const redactPaths = piiKeys.flatMap((k) => [k, `*.${k}`, `*.*.${k}`, `*.*.*.${k}`]);

/** Any email address, and a phone in international form (+ then at least 8 digits). */
const EMAIL = /[A-Za-z0-9._%+'-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}/g;
const INTERNATIONAL_PHONE = /\+\d[\d\s().-]{6,}\d/g;

/**
 * Free text (an error's message, a vendor's answer, a reason) can quote what a lead said: every
 * email address and international phone number in it is replaced. Names cannot be told from
 * other words, so the code never puts one in a message (docs/security.md).
 */
export function scrubText(text: string): string {
  return text.replace(EMAIL, '[email]').replace(INTERNATIONAL_PHONE, '[phone]');
}

function scrubValue(value: unknown, depth: number): unknown {
  if (typeof value === 'string') return scrubText(value);
  if (depth > 6 || value === null || typeof value !== 'object') return value;
  if (value instanceof Error) return value; // the err serializer scrubs it
  if (Array.isArray(value)) return value.map((v) => scrubValue(v, depth + 1));
  if (Buffer.isBuffer(value)) return value;
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(value)) out[k] = scrubValue(v, depth + 1);
  return out;
}

/** The options every service's logger is made with: redaction, scrubbing, ISO times. */
export function loggerOptions(service: string, level: string = 'info'): LoggerOptions {
  return {
    level,
    base: { service },
    redact: { paths: redactPaths, censor: '[redacted]' },
    timestamp: pino.stdTimeFunctions.isoTime,
    serializers: {
      err: (err: Error) => scrubValue(pino.stdSerializers.err(err), 0),
    },
    formatters: {
      level: (label) => ({ level: label }),
      log: (object) => scrubValue(object, 0) as Record<string, unknown>,
    },
    hooks: {
      logMethod(args, method) {
        const scrubbed = args.map((a) => (typeof a === 'string' ? scrubText(a) : a));
        method.apply(this, scrubbed as Parameters<typeof method>);
      },
    },
  };
}

export function createLogger(service: string, level: string = 'info'): Logger {
  return pino(loggerOptions(service, level));
}

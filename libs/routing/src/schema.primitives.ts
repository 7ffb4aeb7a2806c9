import { z } from 'zod';

/** A name in a rule set: a queue, member, segment, rule or destination. */
export const name = z.string().regex(/^[A-Za-z0-9_.-]+$/, {
  error: 'expected a name of letters, digits, "_", "." or "-"',
});

/** A duration such as `90s`, `30m`, `24h`, `7d` or `2w`. */
export const DURATION_PATTERN = /^([1-9][0-9]*)(s|m|h|d|w)$/;
export const duration = z.string().regex(DURATION_PATTERN, {
  error: 'expected a duration such as 30m, 24h or 7d',
});

/** Is this an IANA time zone the runtime knows, such as Europe/Berlin? */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en-US', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}

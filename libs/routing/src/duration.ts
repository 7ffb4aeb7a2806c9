import { DurationError } from './routing.errors';
import { DURATION_PATTERN } from './rules.schema';

const UNIT: Record<string, number> = {
  s: 1_000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** Milliseconds in a duration the schema accepted, such as `24h`. */
export function parseDuration(text: string): number {
  const match = DURATION_PATTERN.exec(text);
  if (match === null) throw new DurationError(text);
  return Number(match[1]) * (UNIT[match[2] ?? ''] ?? 0);
}

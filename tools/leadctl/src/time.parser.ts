import { UsageError } from './cli.errors';

const UNIT_MS: Record<string, number> = {
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/**
 * A point in time from the command line: ISO-8601 (`2026-11-25T09:00:00Z`, `2026-11-25`) or
 * relative to `now` (`-30m`, `-1h`, `-7d`, `now`).
 */
export function parseTime(text: string, now: number = Date.now()): Date {
  const trimmed = text.trim();
  if (trimmed === 'now') return new Date(now);
  const relative = /^-(\d+)([smhdw])$/.exec(trimmed);
  if (relative) return new Date(now - Number(relative[1]) * UNIT_MS[relative[2] as string]!);
  if (/^\d{4}-\d{2}-\d{2}/.test(trimmed)) {
    const ms = Date.parse(trimmed);
    if (!Number.isNaN(ms)) return new Date(ms);
  }
  throw new UsageError(
    `"${text}" is not a time: use ISO-8601 (2026-11-25T09:00:00Z) or relative (-30m, -1h, -7d)`,
  );
}

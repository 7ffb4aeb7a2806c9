import type { DurationSetting } from './sink.adapter';

const UNITS: Record<string, number> = {
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
  d: 86_400_000,
  w: 604_800_000,
};

/** A duration setting in ms: a number is seconds; a string is `<number><ms|s|m|h|d|w>` (the rule set's `30s`, `10m`, `1h`). */
export function durationMs(value: DurationSetting): number {
  if (typeof value === 'number') return Math.round(value * 1000);
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d|w)$/.exec(value.trim());
  if (!match) throw new RangeError(`not a duration: "${value}" (expected e.g. 10s, 1m, 500ms)`);
  return Math.round(Number(match[1]) * UNITS[match[2]!]!);
}

const MINUTE = 60_000;
const DAY = 86_400_000;
/** Zone offsets change only at transitions, and every zone's transitions fall on a quarter hour. */
const OFFSET_BUCKET = 15 * MINUTE;

/**
 * Wall-clock time in one IANA time zone, from the platform's Intl data (no dependency). The
 * offset is cached per quarter hour because Intl formatting costs microseconds per call.
 */
export class ZoneClock {
  private readonly format: Intl.DateTimeFormat;
  private cachedBucket = Number.NaN;
  private cachedOffset = 0;

  constructor(readonly zone: string) {
    this.format = new Intl.DateTimeFormat('en-US', {
      timeZone: zone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
    });
  }

  /** Milliseconds to add to UTC to get the zone's wall-clock time at `t`. */
  offset(t: number): number {
    const bucket = Math.floor(t / OFFSET_BUCKET);
    if (bucket !== this.cachedBucket) {
      this.cachedBucket = bucket;
      this.cachedOffset = this.computeOffset(bucket * OFFSET_BUCKET);
    }
    return this.cachedOffset;
  }

  /** `t` as wall-clock milliseconds: read it with getUTC* methods or plain arithmetic. */
  local(t: number): number {
    return t + this.offset(t);
  }

  /** The UTC instant at which the zone's wall clock shows `wall` (a local() value). */
  utc(wall: number): number {
    const guess = wall - this.offset(wall);
    return wall - this.offset(guess);
  }

  private computeOffset(t: number): number {
    const parts: Record<string, number> = {};
    for (const part of this.format.formatToParts(t)) {
      if (part.type !== 'literal') parts[part.type] = Number(part.value);
    }
    const wall = Date.UTC(
      parts['year'] ?? 1970,
      (parts['month'] ?? 1) - 1,
      parts['day'] ?? 1,
      parts['hour'] ?? 0,
      parts['minute'] ?? 0,
    );
    return wall - Math.floor(t / MINUTE) * MINUTE;
  }
}

/** Monday = 0 … Sunday = 6 of a wall-clock time (1 January 1970 was a Thursday). */
export function weekdayOf(wall: number): number {
  return (((Math.floor(wall / DAY) + 3) % 7) + 7) % 7;
}

export function minuteOfDay(wall: number): number {
  return Math.floor((((wall % DAY) + DAY) % DAY) / MINUTE);
}

export function startOfDay(wall: number): number {
  return wall - (((wall % DAY) + DAY) % DAY);
}

export { DAY, MINUTE };

import { parseDuration } from './duration';
import type { Member } from './rules.schema';
import { WEEKDAYS } from './rules.schema';
import { DAY, MINUTE, minuteOfDay, startOfDay, weekdayOf, ZoneClock } from './zone.clock';

/** Why a member cannot take a lead now; `away` reasons (time off, off hours) earn no catch-up. */
export interface Unavailable {
  reason: string;
  away: boolean;
}

interface CompiledHours {
  clock: ZoneClock;
  days: readonly boolean[];
  start: number;
  end: number;
  text: string;
}

interface Period {
  start: number;
  end: number;
  until: string;
}

const clocks = new Map<string, ZoneClock>();

function clockFor(zone: string): ZoneClock {
  let clock = clocks.get(zone);
  if (clock === undefined) {
    clock = new ZoneClock(zone);
    clocks.set(zone, clock);
  }
  return clock;
}

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':');
  return Number(h) * 60 + Number(m);
}

/** A queue member as routing uses it: availability decided from numbers, not strings. */
export class CompiledMember {
  readonly id: string;
  readonly owners: Readonly<Record<string, string>>;
  readonly ownerIds: ReadonlySet<string>;
  readonly weight: number;
  readonly skills: ReadonlySet<string>;
  readonly capacity: { max: number; window: number; text: string } | null;
  private readonly hours: CompiledHours | null;
  private readonly timeOff: readonly Period[];

  constructor(member: Member) {
    this.id = member.id;
    this.owners = member.owners;
    this.ownerIds = new Set(Object.values(member.owners));
    this.weight = member.weight;
    this.skills = new Set(member.skills);
    this.capacity =
      member.capacity === undefined
        ? null
        : {
            max: member.capacity.max,
            window: parseDuration(member.capacity.window),
            text: member.capacity.window,
          };
    const hours = member.working_hours;
    this.hours =
      hours === undefined
        ? null
        : {
            clock: clockFor(hours.timezone),
            days: WEEKDAYS.map((d) => hours.days.includes(d)),
            start: minutes(hours.start),
            end: minutes(hours.end),
            text: `${hours.days.join(',')} ${hours.start}-${hours.end} ${hours.timezone}`,
          };
    this.timeOff = member.out_of_office
      .map((p) => ({ start: Date.parse(p.start), end: Date.parse(p.end), until: p.end }))
      .sort((a, b) => a.start - b.start);
  }

  hasSkills(skills: readonly string[]): boolean {
    for (const skill of skills) if (!this.skills.has(skill)) return false;
    return true;
  }

  /** Null when the member can take a lead at `now`, given its recent assignment times. */
  unavailable(now: number, recent: readonly number[]): Unavailable | null {
    const off = this.timeOffAt(now);
    if (off !== undefined) return { reason: `out of office until ${off.until}`, away: true };
    if (this.hours !== null && !this.inHours(this.hours, now)) {
      return { reason: `outside working hours (${this.hours.text})`, away: true };
    }
    if (this.capacity !== null) {
      const used = countSince(recent, now - this.capacity.window);
      if (used >= this.capacity.max) {
        return {
          reason: `at capacity (${used} of ${this.capacity.max} leads in ${this.capacity.text})`,
          away: false,
        };
      }
    }
    return null;
  }

  /** The earliest time at or after `now` when the member can take a lead. */
  availableFrom(now: number, recent: readonly number[]): number {
    let t = now;
    for (let step = 0; step < 64; step++) {
      const before = t;
      const off = this.timeOffAt(t);
      if (off !== undefined) t = off.end;
      if (this.hours !== null && !this.inHours(this.hours, t)) t = this.nextStart(this.hours, t);
      if (this.capacity !== null) {
        const { max, window } = this.capacity;
        const first = firstIndexAfter(recent, t - window);
        const used = recent.length - first;
        // The window must shed enough assignments to leave room for one more.
        if (used >= max) t = Math.max(t, (recent[first + used - max] ?? t) + window);
      }
      if (t === before) return t;
    }
    return t;
  }

  private timeOffAt(t: number): Period | undefined {
    for (const period of this.timeOff) {
      if (period.start > t) return undefined;
      if (t < period.end) return period;
    }
    return undefined;
  }

  private inHours(hours: CompiledHours, t: number): boolean {
    const wall = hours.clock.local(t);
    if (hours.days[weekdayOf(wall)] !== true) return false;
    const minute = minuteOfDay(wall);
    return minute >= hours.start && minute < hours.end;
  }

  private nextStart(hours: CompiledHours, t: number): number {
    const wall = hours.clock.local(t);
    const midnight = startOfDay(wall);
    for (let day = 0; day <= 7; day++) {
      const start = midnight + day * DAY + hours.start * MINUTE;
      if (hours.days[weekdayOf(start)] !== true) continue;
      const utc = hours.clock.utc(start);
      if (utc > t) return utc;
    }
    return t + DAY;
  }
}

/** Index of the first time after `since` in an ascending list. */
export function firstIndexAfter(times: readonly number[], since: number): number {
  let i = times.length;
  while (i > 0 && (times[i - 1] ?? 0) > since) i--;
  return i;
}

export function countSince(times: readonly number[], since: number): number {
  return times.length - firstIndexAfter(times, since);
}

/**
 * The first instant of the day after `nowMs`'s day in an IANA time zone (HubSpot resets its daily
 * limit at midnight in the account's zone). Throws a RangeError for an unknown zone.
 */
export function nextMidnight(nowMs: number, timeZone: string): number {
  const today = wallClock(nowMs, timeZone);
  const target = Date.UTC(today.year, today.month - 1, today.day + 1);
  // Guess with the offset now, then correct with the offset at the guess: twice covers a DST
  // change between now and midnight.
  let guess = target - offsetMs(nowMs, timeZone);
  guess = target - offsetMs(guess, timeZone);
  return guess;
}

function offsetMs(atMs: number, timeZone: string): number {
  const w = wallClock(atMs, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(atMs / 1000) * 1000;
}

function wallClock(atMs: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', {
    timeZone,
    hourCycle: 'h23',
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
    hour: '2-digit',
    minute: '2-digit',
    second: '2-digit',
  }).formatToParts(atMs);
  const get = (type: Intl.DateTimeFormatPartTypes) =>
    Number(parts.find((p) => p.type === type)?.value ?? NaN);
  return {
    year: get('year'),
    month: get('month'),
    day: get('day'),
    hour: get('hour'),
    minute: get('minute'),
    second: get('second'),
  };
}

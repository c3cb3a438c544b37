/**
 * Calendar days of a named time zone (the bot's), whatever zone the browser is in: a custom
 * analytics window is whole local days of the bot, so `<input type="date">` values are read and
 * written here rather than by `Date`, which only knows the browser's zone.
 */
function wall(ms: number, timeZone: string) {
  const parts = new Intl.DateTimeFormat('en-US', { timeZone, hourCycle: 'h23', year: 'numeric', month: 'numeric', day: 'numeric', hour: 'numeric', minute: 'numeric', second: 'numeric' }).formatToParts(new Date(ms));
  const field = (type: string) => Number(parts.find((p) => p.type === type)?.value);
  return { year: field('year'), month: field('month'), day: field('day'), hour: field('hour'), minute: field('minute'), second: field('second') };
}

/** The zone's offset from UTC at an instant (local − UTC), in ms. */
function offsetAt(ms: number, timeZone: string): number {
  const w = wall(ms, timeZone);
  return Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second) - Math.floor(ms / 1000) * 1000;
}

/** `YYYY-MM-DD` of the local day an instant falls in. */
export function zoneDate(ms: number, timeZone: string): string {
  const w = wall(ms, timeZone);
  return `${String(w.year).padStart(4, '0')}-${String(w.month).padStart(2, '0')}-${String(w.day).padStart(2, '0')}`;
}

/**
 * The instant a local day (`YYYY-MM-DD`) starts in the zone, `days` later: midnight, or where a
 * DST change skips midnight, the first instant of that day. The offset is read again at the
 * first guess, since the guess may sit on the other side of a change.
 */
export function localMidnight(date: string, timeZone: string, days = 0): number {
  const [year, month, day] = date.split('-').map(Number);
  const asUtc = Date.UTC(year, month - 1, day + days);
  const guess = asUtc - offsetAt(asUtc, timeZone);
  const start = asUtc - offsetAt(guess, timeZone);
  return zoneDate(start, timeZone) === zoneDate(asUtc, 'UTC') ? start : guess;
}

import { z } from 'zod';
import { invalid } from '../platform/errors';

const DATE_ONLY = /^\d{4}-\d{2}-\d{2}$/;
const dateOrDateTime = z.string().max(40).regex(/^\d{4}-\d{2}-\d{2}([T ].+)?$/, 'must be YYYY-MM-DD or an ISO 8601 date-time');

export const windowSchema = z
  .object({
    type: z.enum(['today', 'this_week', 'last_days', 'between']),
    days: z.number().int().min(1).max(3660).optional(),
    from: dateOrDateTime.optional(),
    to: dateOrDateTime.optional(),
    column: z.string().max(64).default('createdAt'),
    timezone: z.string().max(64).optional(),
  })
  .meta({
    id: 'DataTableWindow',
    description:
      'Calendar windows in a time zone (request `timezone`, else the bot\'s): `today`; `this_week` (Monday 00:00 to next Monday); ' +
      '`last_days` (the last `days` calendar days including today); `between` (`from` inclusive, `to` exclusive; a plain date `to` includes that whole day). ' +
      'Applied to a datetime column, `createdAt` by default.',
  });
export type TimeWindow = z.output<typeof windowSchema>;

interface LocalDate {
  year: number;
  month: number;
  day: number;
}

const formatters = new Map<string, Intl.DateTimeFormat>();

function formatter(timeZone: string): Intl.DateTimeFormat {
  let format = formatters.get(timeZone);
  if (!format) {
    format = new Intl.DateTimeFormat('en-US', {
      timeZone,
      hourCycle: 'h23',
      year: 'numeric',
      month: 'numeric',
      day: 'numeric',
      hour: 'numeric',
      minute: 'numeric',
      second: 'numeric',
    });
    formatters.set(timeZone, format);
  }
  return format;
}

export function isTimeZone(zone: string): boolean {
  try {
    formatter(zone);
    return true;
  } catch {
    return false;
  }
}

/** The wall-clock fields of an instant in a zone. */
export function wallClock(ms: number, timeZone: string) {
  const parts = Object.fromEntries(formatter(timeZone).formatToParts(new Date(ms)).map((p) => [p.type, Number(p.value)]));
  return { year: parts.year, month: parts.month, day: parts.day, hour: parts.hour, minute: parts.minute, second: parts.second };
}

/** Offset of the zone from UTC at an instant, in milliseconds (local − UTC). */
export function offsetAt(ms: number, timeZone: string): number {
  const w = wallClock(ms, timeZone);
  const asUtc = Date.UTC(w.year, w.month - 1, w.day, w.hour, w.minute, w.second);
  return asUtc - Math.floor(ms / 1000) * 1000;
}

/**
 * The first instant of a local calendar day. DST-safe: the offset is re-read at the candidate
 * instant; where midnight does not exist (a spring-forward at 00:00) the day starts at the first
 * instant that does.
 */
export function startOfLocalDay(date: LocalDate, timeZone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day);
  let guess = wall - offsetAt(wall, timeZone);
  const second = wall - offsetAt(guess, timeZone);
  if (second !== guess) guess = Math.min(guess, second);
  while (wallClock(guess, timeZone).day !== new Date(wall).getUTCDate()) guess += 15 * 60_000;
  return guess;
}

export function localDate(ms: number, timeZone: string): LocalDate {
  const { year, month, day } = wallClock(ms, timeZone);
  return { year, month, day };
}

export function addDays(date: LocalDate, days: number): LocalDate {
  const d = new Date(Date.UTC(date.year, date.month - 1, date.day + days));
  return { year: d.getUTCFullYear(), month: d.getUTCMonth() + 1, day: d.getUTCDate() };
}

/** 0 = Monday … 6 = Sunday. */
const weekdayIndex = (date: LocalDate) => (new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7;

function parseBound(text: string, timeZone: string, isEnd: boolean, path: string): number {
  if (DATE_ONLY.test(text)) {
    const [year, month, day] = text.split('-').map(Number);
    const date = isEnd ? addDays({ year, month, day }, 1) : { year, month, day };
    return startOfLocalDay(date, timeZone);
  }
  const ms = Date.parse(text);
  if (Number.isNaN(ms)) throw invalid('Invalid window', [{ path, message: 'is not a valid date-time' }]);
  return ms;
}

/** `[from, to)` in epoch milliseconds for a window, evaluated at `now` in `timeZone`. */
export function windowBounds(window: TimeWindow, now: number, timeZone: string): { from: number; to: number } {
  if (!isTimeZone(timeZone)) throw invalid('Invalid window', [{ path: 'window.timezone', message: 'must be an IANA time zone such as Europe/Moscow' }]);
  const today = localDate(now, timeZone);
  const dayStart = (date: LocalDate) => startOfLocalDay(date, timeZone);
  switch (window.type) {
    case 'today':
      return { from: dayStart(today), to: dayStart(addDays(today, 1)) };
    case 'this_week': {
      const monday = addDays(today, -weekdayIndex(today));
      return { from: dayStart(monday), to: dayStart(addDays(monday, 7)) };
    }
    case 'last_days': {
      if (!window.days) throw invalid('Invalid window', [{ path: 'window.days', message: 'is required for last_days' }]);
      return { from: dayStart(addDays(today, 1 - window.days)), to: dayStart(addDays(today, 1)) };
    }
    case 'between': {
      if (!window.from || !window.to) throw invalid('Invalid window', [{ path: 'window', message: 'between needs from and to' }]);
      return { from: parseBound(window.from, timeZone, false, 'window.from'), to: parseBound(window.to, timeZone, true, 'window.to') };
    }
  }
}

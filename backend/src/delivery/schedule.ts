import { z } from 'zod';
import type { Bot } from '../bots/bots';
import { addDays, isTimeZone, localDate, offsetAt, wallClock } from '../tables/time-window';

/**
 * When a message leaves: the schedule of a send (`sendAt`, `delaySeconds`, `localTime`) and the
 * bot's quiet hours, as pure functions of the database clock's `now` and a time zone. Nothing here
 * reads a clock or the database.
 */

const hhmm = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, 'a local time as HH:MM (24 h), such as 09:30');

/** The furthest a send may be scheduled ahead. */
export const MAX_SCHEDULE_MS = 366 * 86_400_000;

/** The schedule fields of a send (merged into sendMessageSchema). */
export const scheduleFields = {
  sendAt: z.iso.datetime({ offset: true }).optional().meta({ description: 'Send at this instant (ISO 8601 with Z or an offset); with `localTime`: the first such local time at or after it' }),
  delaySeconds: z.number().int().min(1).max(MAX_SCHEDULE_MS / 1000).optional().meta({ description: 'Send this many seconds after acceptance; with `localTime`: the first such local time after the delay' }),
  localTime: hhmm.optional().meta({ description: "Send at HH:MM in each recipient's time zone (the CRM profile's `timeZone`, else the bot's), the next time that comes" }),
  cancelKey: z
    .string()
    .regex(/^[A-Za-z0-9:._/@#-]{1,200}$/, 'letters, digits and : . _ / @ # -, at most 200, such as reminder:order:9821')
    .optional()
    .meta({ description: 'A name to cancel the message by (POST …/messages/cancel); unique per bot among messages not yet finished' }),
};

export interface Schedule {
  sendAt?: string;
  delaySeconds?: number;
  localTime?: string;
}

export const isScheduled = (s: Schedule) => s.sendAt !== undefined || s.delaySeconds !== undefined || s.localTime !== undefined;

/** Quiet hours of a bot (`settings.delivery.quietHours`): non-critical messages wait for the end of the window, in the recipient's local time. */
export const quietHoursSchema = z
  .object({ from: hhmm, to: hhmm })
  .refine((q) => q.from !== q.to, 'from and to must differ')
  .meta({ description: 'A local window such as 21:00–08:00 (across midnight when from > to); non-critical messages are held until `to`' });
export type QuietHours = z.infer<typeof quietHoursSchema>;

const minutesOf = (text: string) => Number(text.slice(0, 2)) * 60 + Number(text.slice(3, 5));

/**
 * The instant of a local time of day on a local date. Where the time does not exist (the hour a
 * spring-forward skips) it is the instant just after the gap; where it exists twice (a fall-back),
 * the first of the two.
 */
export function instantOfLocal(date: { year: number; month: number; day: number }, minutes: number, zone: string): number {
  const wall = Date.UTC(date.year, date.month - 1, date.day, Math.floor(minutes / 60), minutes % 60);
  // The offsets in force a day either side cover both sides of any change on this day.
  const candidates = [-86_400_000, 0, 86_400_000].map((shift) => wall - offsetAt(wall + shift, zone));
  const matches = (ms: number) => {
    const w = wallClock(ms, zone);
    return w.hour * 60 + w.minute === minutes && w.day === date.day;
  };
  const exact = candidates.filter(matches);
  return exact.length > 0 ? Math.min(...exact) : Math.max(...candidates);
}

/** The first instant at or after `notBefore` whose local time in `zone` is `time` (HH:MM). */
export function nextLocalTime(notBefore: number, time: string, zone: string): number {
  const minutes = minutesOf(time);
  const today = localDate(notBefore, zone);
  const candidate = instantOfLocal(today, minutes, zone);
  return candidate >= notBefore ? candidate : instantOfLocal(addDays(today, 1), minutes, zone);
}

/** The instant `sendAt` or the delay names (before any local time), `now` being when the send was accepted. */
export const scheduledBase = (schedule: Schedule, now: number) => (schedule.sendAt !== undefined ? Date.parse(schedule.sendAt) : now + (schedule.delaySeconds ?? 0) * 1000);

/** The instant a scheduled send is due for one recipient, `now` being when it was accepted. */
export function dueAtFor(schedule: Schedule, now: number, zone: string): number {
  const base = scheduledBase(schedule, now);
  return schedule.localTime ? nextLocalTime(Math.max(base, now), schedule.localTime, zone) : base;
}

/** Undefined outside the quiet hours; else the instant they end (the next local `to`). */
export function quietHoursEnd(quiet: QuietHours | undefined, now: number, zone: string): number | undefined {
  if (!quiet) return undefined;
  const local = wallClock(now, zone);
  const minute = local.hour * 60 + local.minute;
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  const inside = from < to ? minute >= from && minute < to : minute >= from || minute < to;
  return inside ? nextLocalTime(now, quiet.to, zone) : undefined;
}

/** The person's time zone: the CRM profile's `timeZone` (or `timezone`), else the bot's. */
export function recipientZone(bot: Pick<Bot, 'timezone'>, profile: Record<string, unknown> | undefined): string {
  const given = profile?.timeZone ?? profile?.timezone;
  return typeof given === 'string' && given.length <= 64 && isTimeZone(given) ? given : bot.timezone;
}

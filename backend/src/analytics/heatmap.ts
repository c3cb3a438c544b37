import type { Knex } from 'knex';
import { addDays, localDate, startOfLocalDay, wallClock } from '../tables/time-window';
import { columnsWithin } from './histogram';
import { type AnalyticsQuery, narrowed, rollupFor } from './queries';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
const COUNTED = ['sent', 'goal_sends', 'conversions'] as const;

/** One cell of the week: sends made in that local hour of that weekday, and what came of them. */
export interface HeatmapCell {
  /** ISO weekday of the bot's time zone: 1 Monday … 7 Sunday. */
  weekday: number;
  /** Local hour of day, 0–23. */
  hour: number;
  sent: number;
  engaged: number;
  engagementRate: number | null;
  goalRecipients: number;
  converted: number;
  conversionRate: number | null;
}

interface Window {
  from: number;
  to: number;
}

const ratio = (part: number, whole: number): number | null => (whole > 0 ? part / whole : null);

/**
 * Sends by weekday × hour of day of the bot's time zone over a window, with their engagement and
 * conversion. Answers and conversions are counted in the hour of their send (the cohort), so a
 * cell says how sends made at that time fared — when to send. Always 168 cells, Monday 00:00 first.
 */
export async function heatmap(db: Knex, botId: number, timeZone: string, query: AnalyticsQuery, window: Window): Promise<HeatmapCell[]> {
  const rollup = rollupFor('hour', query);
  const q = db(rollup.table).where('bot_id', botId).where('hour', '>=', window.from).where('hour', '<', window.to);
  // Engagement summed in SQL over the histogram's buckets within the window: four sums per hour, not twenty.
  const engaged = columnsWithin(query.engagementHours);
  const hourly: Array<Record<string, unknown>> = await narrowed(q, rollup, query)
    .select('hour', ...COUNTED.map((c) => db.raw('coalesce(sum(??), 0) as ??', [c, c])), db.raw(`coalesce(sum(${engaged.map(() => '??').join(' + ')}), 0) as engaged`, engaged))
    .groupBy('hour')
    .orderBy('hour');
  const cells = Array.from({ length: 7 * 24 }, (_, i) => ({ sent: 0, goalSends: 0, conversions: 0, engaged: 0, index: i }));
  const place = localPlacer(timeZone);
  for (const row of hourly) {
    const cell = cells[place(Number(row.hour))];
    cell.sent += Number(row.sent);
    cell.goalSends += Number(row.goal_sends);
    cell.conversions += Number(row.conversions);
    cell.engaged += Number(row.engaged);
  }
  return cells.map((c) => ({
    weekday: Math.floor(c.index / 24) + 1,
    hour: c.index % 24,
    sent: c.sent,
    engaged: c.engaged,
    engagementRate: ratio(c.engaged, c.sent),
    goalRecipients: c.goalSends,
    converted: c.conversions,
    conversionRate: ratio(c.conversions, c.goalSends),
  }));
}

/**
 * The cell index (weekday × 24 + hour) of a UTC hour in the zone, for hours given in ascending
 * order. One zone lookup per local day: within a 24-hour day the local hour is the distance from
 * its midnight; only a DST day (23 or 25 hours) looks each hour up.
 */
function localPlacer(timeZone: string): (hour: number) => number {
  let day = { start: Number.NaN, end: Number.NaN, weekday: 0 };
  return (hour) => {
    if (!(hour >= day.start && hour < day.end)) {
      const date = localDate(hour, timeZone);
      const start = startOfLocalDay(date, timeZone);
      const end = startOfLocalDay(addDays(date, 1), timeZone);
      day = { start, end, weekday: (new Date(Date.UTC(date.year, date.month - 1, date.day)).getUTCDay() + 6) % 7 };
    }
    const localHour = day.end - day.start === DAY_MS ? Math.floor((hour - day.start) / HOUR_MS) : wallClock(hour, timeZone).hour;
    return day.weekday * 24 + localHour;
  };
}

import type { Knex } from 'knex';
import { z } from 'zod';
import { invalid } from '../platform/errors';
import { localDate, startOfLocalDay } from '../tables/time-window';
import { hourOf, ROLLUP_COLUMNS } from './counters';
import { addTotals, emptyTotals, type Figures, figuresOf, type Totals } from './figures';
import { ENGAGEMENT_WINDOWS_HOURS } from './histogram';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Channels that report delivery receipts: the delivered and read rates are over their sends only. */
const RECEIPT_CHANNELS = ['whatsapp'];
const MAX_WINDOW_DAYS = 400;
const MAX_POINTS = 1000;

export const analyticsQuerySchema = z.object({
  from: z.iso.datetime({ offset: true }).optional().meta({ description: 'Window start (inclusive, rounded down to the hour); default: 7 days before `to`' }),
  to: z.iso.datetime({ offset: true }).optional().meta({ description: 'Window end (exclusive, rounded up to the hour); default: now' }),
  alias: z.string().max(200).optional().meta({ description: 'Only this communication (`""` is messages of traces no call started)' }),
  channel: z.string().max(32).optional().meta({ description: 'Only this channel (telegram, webchat, whatsapp)' }),
  engagementHours: z.coerce
    .number()
    .int()
    .refine((h) => (ENGAGEMENT_WINDOWS_HOURS as readonly number[]).includes(h), `must be one of ${ENGAGEMENT_WINDOWS_HOURS.join(', ')}`)
    .default(24)
    .meta({ description: 'Engagement counts answers within this many hours of the send' }),
});
export const seriesQuerySchema = analyticsQuerySchema.extend({ bucket: z.enum(['hour', 'day', 'week']).default('day') });
export type AnalyticsQuery = z.output<typeof analyticsQuerySchema>;
export type SeriesQuery = z.output<typeof seriesQuerySchema>;

export interface Window {
  from: number;
  to: number;
}

/** The window in whole UTC hours, checked: rollups are hourly. */
export function windowOf(query: AnalyticsQuery, now: number): Window {
  const to = query.to ? Math.ceil(Date.parse(query.to) / HOUR_MS) * HOUR_MS : hourOf(now) + HOUR_MS;
  const from = query.from ? hourOf(Date.parse(query.from)) : to - 7 * DAY_MS;
  if (from >= to) throw invalid('`from` must be before `to`');
  if (to - from > MAX_WINDOW_DAYS * DAY_MS) throw invalid(`A window is at most ${MAX_WINDOW_DAYS} days`);
  return { from, to };
}

function sums(db: Knex) {
  return [
    ...ROLLUP_COLUMNS.map((c) => db.raw('coalesce(sum(??), 0) as ??', [c, c])),
    db.raw(`coalesce(sum(case when channel in (${RECEIPT_CHANNELS.map(() => '?').join(', ')}) then sent else 0 end), 0) as sent_receipts`, RECEIPT_CHANNELS),
  ];
}

function rows(db: Knex, botId: number, query: AnalyticsQuery, window: Window) {
  const q = db('analytics_hourly').where('bot_id', botId).where('hour', '>=', window.from).where('hour', '<', window.to);
  if (query.alias !== undefined) q.where('alias', query.alias);
  if (query.channel !== undefined) q.where('channel', query.channel);
  return q;
}

export async function botFigures(db: Knex, botId: number, query: AnalyticsQuery, window: Window): Promise<Figures> {
  const row = await rows(db, botId, query, window).first(sums(db));
  return figuresOf(addTotals(emptyTotals(), row ?? {}), query.engagementHours);
}

/** The figures per communication or per channel, largest number of sends first. */
export async function figuresBy(db: Knex, botId: number, by: 'alias' | 'channel', query: AnalyticsQuery, window: Window): Promise<Array<{ key: string; figures: Figures }>> {
  const grouped: Array<Record<string, unknown>> = await rows(db, botId, query, window).select(by, ...sums(db)).groupBy(by);
  return grouped
    .map((row) => ({ key: String(row[by]), totals: addTotals(emptyTotals(), row) }))
    .sort((a, b) => b.totals.sent - a.totals.sent || b.totals.calls - a.totals.calls || (a.key < b.key ? -1 : 1))
    .map(({ key, totals }) => ({ key, figures: figuresOf(totals, query.engagementHours) }));
}

/**
 * Figures per hour, day or week of the bot's time zone. Rollups are per UTC hour; each hour goes to
 * the local day (week from Monday) its first minute falls in, so a day is exact for every zone
 * whose offset is whole hours (half-hour zones: the hour that straddles midnight goes by its start).
 */
export async function series(db: Knex, botId: number, timeZone: string, query: SeriesQuery, window: Window) {
  const points = Math.ceil((window.to - window.from) / (query.bucket === 'hour' ? HOUR_MS : query.bucket === 'day' ? DAY_MS : 7 * DAY_MS));
  if (points > MAX_POINTS) throw invalid(`At most ${MAX_POINTS} buckets: ask for a shorter window or a larger bucket`);
  const hourly: Array<Record<string, unknown>> = await rows(db, botId, query, window).select('hour', ...sums(db)).groupBy('hour').orderBy('hour');
  const starts = query.bucket === 'hour' ? undefined : bucketStarts(query.bucket, timeZone, window);
  const buckets = new Map<number, Totals>();
  let next = 0;
  for (const row of hourly) {
    const hour = Number(row.hour);
    // Rows come by hour, so the bucket index only moves forward.
    while (starts && next + 1 < starts.length && starts[next + 1] <= hour) next++;
    const start = starts ? starts[next] : hour;
    buckets.set(start, addTotals(buckets.get(start) ?? emptyTotals(), row));
  }
  return [...buckets].map(([start, totals]) => ({ start: new Date(start).toISOString(), figures: figuresOf(totals, query.engagementHours) }));
}

/**
 * The starts of the local days (or weeks from Monday) that cover the window, in order: one time-
 * zone lookup per day rather than per hour.
 */
function bucketStarts(bucket: 'day' | 'week', timeZone: string, window: Window): number[] {
  const first = localDate(window.from, timeZone);
  if (bucket === 'week') first.day -= (new Date(Date.UTC(first.year, first.month - 1, first.day)).getUTCDay() + 6) % 7;
  const step = bucket === 'week' ? 7 : 1;
  const starts: number[] = [];
  for (let n = 0; ; n += step) {
    const day = new Date(Date.UTC(first.year, first.month - 1, first.day + n));
    const start = startOfLocalDay({ year: day.getUTCFullYear(), month: day.getUTCMonth() + 1, day: day.getUTCDate() }, timeZone);
    if (start >= window.to) break;
    starts.push(start);
  }
  return starts;
}

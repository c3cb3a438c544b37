import type { Knex } from 'knex';
import { z } from 'zod';
import { invalid } from '../platform/errors';
import { localDate, startOfLocalDay } from '../tables/time-window';
import { CHANNEL_DAILY, CHANNEL_HOURLY, DAILY, dayOf, HOURLY, hourOf, ROLLUP_COLUMNS, type Rollup } from './counters';
import { addTotals, emptyTotals, type Figures, figuresOf, type Totals } from './figures';
import { ENGAGEMENT_WINDOWS_HOURS } from './histogram';

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** Channels that report delivery receipts: the delivered and read rates are over their sends only. */
const RECEIPT_CHANNELS = ['whatsapp'];
const MAX_WINDOW_DAYS = 400;
const MAX_POINTS = 1000;
/** Edge hours per statement: well within both databases' limits on bound parameters. */
const HOURS_PER_STATEMENT = 1000;

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

type Filter = Pick<AnalyticsQuery, 'alias' | 'channel'>;

/**
 * The narrowest rollup that answers: without a communication to filter or group by, the
 * per-channel one (a few rows an hour, every communication summed); else the full one, whose
 * index on (bot, communication, time) reads only that communication's rows when filtered by it.
 */
export function rollupFor(time: 'hour' | 'day', query: Filter, groupedBy?: 'alias' | 'channel'): Rollup {
  const perAlias = query.alias !== undefined || groupedBy === 'alias';
  if (time === 'hour') return perAlias ? HOURLY : CHANNEL_HOURLY;
  return perAlias ? DAILY : CHANNEL_DAILY;
}

function rows(db: Knex, rollup: Rollup, botId: number, query: Filter, from: number, to: number) {
  const q = db(rollup.table).where(`${rollup.table}.bot_id`, botId).where(`${rollup.table}.${rollup.time}`, '>=', from).where(`${rollup.table}.${rollup.time}`, '<', to);
  return narrowed(q, rollup, query);
}

/** The communication and channel filters, on a rollup's columns. */
export function narrowed(q: Knex.QueryBuilder, rollup: Rollup, query: Filter): Knex.QueryBuilder {
  if (query.alias !== undefined) q.where(`${rollup.table}.alias`, query.alias);
  if (query.channel !== undefined) q.where(`${rollup.table}.channel`, query.channel);
  return q;
}

/**
 * The window as rollup ranges that together hold each of its hours once: hourly rows for the
 * partial UTC days at its edges (at most 23 hours each), daily rows for the whole UTC days between
 * (both per channel when no communication is asked for).
 */
function segments(window: Window, query: Filter, groupedBy?: 'alias' | 'channel'): Array<{ rollup: Rollup; from: number; to: number }> {
  const hourly = rollupFor('hour', query, groupedBy);
  const firstDay = Math.ceil(window.from / DAY_MS) * DAY_MS;
  const lastDay = dayOf(window.to);
  if (firstDay >= lastDay) return [{ rollup: hourly, from: window.from, to: window.to }];
  const parts = [
    { rollup: hourly, from: window.from, to: firstDay },
    { rollup: rollupFor('day', query, groupedBy), from: firstDay, to: lastDay },
    { rollup: hourly, from: lastDay, to: window.to },
  ];
  return parts.filter((part) => part.from < part.to);
}

export async function botFigures(db: Knex, botId: number, query: AnalyticsQuery, window: Window): Promise<Figures> {
  const totals = emptyTotals();
  for (const part of segments(window, query)) addTotals(totals, (await rows(db, part.rollup, botId, query, part.from, part.to).first(sums(db))) ?? {});
  return figuresOf(totals, query.engagementHours);
}

/** The figures per communication or per channel, largest number of sends first. */
export async function figuresBy(db: Knex, botId: number, by: 'alias' | 'channel', query: AnalyticsQuery, window: Window): Promise<Array<{ key: string; figures: Figures }>> {
  const byKey = new Map<string, Totals>();
  for (const part of segments(window, query, by)) {
    const grouped: Array<Record<string, unknown>> = await rows(db, part.rollup, botId, query, part.from, part.to).select(by, ...sums(db)).groupBy(by);
    for (const row of grouped) byKey.set(String(row[by]), addTotals(byKey.get(String(row[by])) ?? emptyTotals(), row));
  }
  return [...byKey]
    .map(([key, totals]) => ({ key, totals }))
    .sort((a, b) => b.totals.sent - a.totals.sent || b.totals.calls - a.totals.calls || (a.key < b.key ? -1 : 1))
    .map(({ key, totals }) => ({ key, figures: figuresOf(totals, query.engagementHours) }));
}

/**
 * Figures per hour, day or week of the bot's time zone. Rollups are per UTC hour; each hour goes to
 * the local day (week from Monday) its first minute falls in, so a day is exact for every zone
 * whose offset is whole hours (half-hour zones: the hour that straddles midnight goes by its start).
 * A bucket left without any rollup row is left out.
 */
export async function series(db: Knex, botId: number, timeZone: string, query: SeriesQuery, window: Window) {
  const points = Math.ceil((window.to - window.from) / (query.bucket === 'hour' ? HOUR_MS : query.bucket === 'day' ? DAY_MS : 7 * DAY_MS));
  if (points > MAX_POINTS) throw invalid(`At most ${MAX_POINTS} buckets: ask for a shorter window or a larger bucket`);
  if (query.bucket !== 'hour') return localSeries(db, botId, query, window, bucketStarts(query.bucket, timeZone, window));
  const hourly: Array<Record<string, unknown>> = await rows(db, rollupFor('hour', query), botId, query, window.from, window.to).select('hour', ...sums(db)).groupBy('hour').orderBy('hour');
  return hourly.map((row) => ({ start: new Date(Number(row.hour)).toISOString(), figures: figuresOf(addTotals(emptyTotals(), row), query.engagementHours) }));
}

/**
 * Local days or weeks from daily rows, exactly. A bucket holds the whole UTC hours from its bound to
 * the next (a bound is its start rounded up to the hour), so its sum is P(next) − P(bound), where
 * P(t), everything before t, is the daily rows before t's nearest UTC midnight plus the hourly rows
 * from that midnight to t (or minus those from t to it). Counters are integers: the differences are
 * exact, and no bucket reads more than 12 hourly rows per group at either bound, in any zone and
 * across DST, whatever the bound's offset from UTC midnight.
 */
async function localSeries(db: Knex, botId: number, query: SeriesQuery, window: Window, starts: number[]) {
  const bounds = [...starts.map((start, k) => (k === 0 ? window.from : Math.ceil(start / HOUR_MS) * HOUR_MS)), window.to];
  const anchors = bounds.map((t) => (t - dayOf(t) <= DAY_MS / 2 ? dayOf(t) : dayOf(t) + DAY_MS));
  const buckets = starts.map(() => emptyTotals());
  const daily: Array<Record<string, unknown>> = await rows(db, rollupFor('day', query), botId, query, anchors[0], anchors[anchors.length - 1]).select('day', ...sums(db)).groupBy('day').orderBy('day');
  let k = 0;
  for (const row of daily) {
    // Days come in order, so the bucket index only moves forward.
    while (anchors[k + 1] <= Number(row.day)) k++;
    addTotals(buckets[k], row);
  }
  // The hours between each bound and its anchor: added after an anchor before the bound, taken back before one after it.
  const edges = bounds.map((t, i) => (anchors[i] <= t ? { i, from: anchors[i], to: t, sign: 1 } : { i, from: t, to: anchors[i], sign: -1 }));
  // Two bounds of one UTC day can share hours: an hour's row counts for each edge that holds it.
  const edgesAt = new Map<number, typeof edges>();
  for (const edge of edges) for (let hour = edge.from; hour < edge.to; hour += HOUR_MS) edgesAt.set(hour, [...(edgesAt.get(hour) ?? []), edge]);
  const hours = [...edgesAt.keys()];
  for (let i = 0; i < hours.length; i += HOURS_PER_STATEMENT) {
    for (const row of await hourlyAt(db, botId, query, hours.slice(i, i + HOURS_PER_STATEMENT))) {
      for (const edge of edgesAt.get(Number(row.hour))!) {
        // Bound i closes bucket i − 1 (P added) and opens bucket i (P taken away).
        if (edge.i > 0) addTotals(buckets[edge.i - 1], row, edge.sign);
        if (edge.i < starts.length) addTotals(buckets[edge.i], row, -edge.sign);
      }
    }
  }
  const present = await bucketsWithRows(db, botId, query, bounds);
  return starts.flatMap((start, i) => (present.has(i) ? [{ start: new Date(start).toISOString(), figures: figuresOf(buckets[i], query.engagementHours) }] : []));
}

/** Ranges as a small VALUES table (index, from, to): one statement whatever their number. */
function rangesTable(db: Knex, ranges: Array<{ from: number; to: number }>) {
  const values = ranges.map(() => '(cast(? as integer), cast(? as bigint), cast(? as bigint))').join(', ');
  return db.raw(`(values ${values}) as ranges`, ranges.flatMap((range, i) => [i, range.from, range.to]));
}

/**
 * Sums per hour of the hourly rows at some hours, as a list of constants (`hour IN (…)`): one index
 * probe per hour, estimated right by both planners and planned quickly (an OR of ~90 ranges cost
 * PostgreSQL more to plan than to run; a join against a VALUES table made it guess a million rows).
 */
async function hourlyAt(db: Knex, botId: number, query: Filter, hours: number[]): Promise<Array<Record<string, unknown>>> {
  const rollup = rollupFor('hour', query);
  const q = db(rollup.table).where('bot_id', botId).whereIn('hour', hours);
  return narrowed(q, rollup, query).select('hour', ...sums(db)).groupBy('hour');
}

/** The indexes of the buckets (between consecutive bounds) that have at least one hourly row: one index probe each. */
async function bucketsWithRows(db: Knex, botId: number, query: Filter, bounds: number[]): Promise<Set<number>> {
  const rollup = rollupFor('hour', query);
  const ranges = bounds.slice(0, -1).map((from, i) => ({ from, to: bounds[i + 1] }));
  const found: Array<{ k: unknown }> = await db
    .from(rangesTable(db, ranges))
    .whereExists((sub) => {
      sub.select(db.raw('1')).from(rollup.table).where(`${rollup.table}.bot_id`, botId).where(`${rollup.table}.hour`, '>=', db.ref('ranges.column2')).where(`${rollup.table}.hour`, '<', db.ref('ranges.column3'));
      narrowed(sub, rollup, query);
    })
    .select('ranges.column1 as k');
  return new Set(found.map((row) => Number(row.k)));
}

/**
 * The starts of the local days (or weeks from Monday) that cover the window, in order: one time-
 * zone lookup per day rather than per hour.
 */
export function bucketStarts(bucket: 'day' | 'week', timeZone: string, window: Window): number[] {
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

import type { Knex } from 'knex';
import { responseColumns } from './histogram';

export const ROLLUP_COUNTERS = [
  'sent',
  'failed',
  'delivered',
  'read',
  'answered',
  'goal_sends',
  'conversions',
  'calls',
  'webhooks',
  'webhooks_exhausted',
  'ratings',
  'rating_sum',
  'rating_1',
  'rating_2',
  'rating_3',
  'rating_4',
  'rating_5',
] as const;
export type Counter = (typeof ROLLUP_COUNTERS)[number];
/** Every numeric column of a rollup row: the counters, then the response-time histogram. */
export const ROLLUP_COLUMNS: readonly string[] = [...ROLLUP_COUNTERS, ...responseColumns];

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
export const hourOf = (at: number): number => Math.floor(at / HOUR_MS) * HOUR_MS;
/** The first instant of the UTC day: the key of `analytics_daily`. */
export const dayOf = (at: number): number => Math.floor(at / DAY_MS) * DAY_MS;

/** Where a fact is counted: the bot, the UTC hour (the UTC day in the daily rollup), the communication ('' for none) and the channel ('' for none). */
export interface RollupKey {
  botId: number;
  hour: number;
  alias: string;
  channel: string;
}

/**
 * The additions of one transaction, summed per row in memory and written with one upsert, so a
 * batch of 500 events is one statement whatever it touches.
 */
export class RollupDeltas {
  private readonly rows = new Map<string, { key: RollupKey; counts: Record<string, number> }>();

  add(key: RollupKey, column: string, amount = 1): void {
    const id = `${key.botId}\u0000${key.hour}\u0000${key.alias}\u0000${key.channel}`;
    const row = this.rows.get(id) ?? { key, counts: {} };
    row.counts[column] = (row.counts[column] ?? 0) + amount;
    this.rows.set(id, row);
  }

  entries(): Array<{ key: RollupKey; counts: Readonly<Record<string, number>> }> {
    return [...this.rows.values()];
  }

  /**
   * One upsert into the hourly rollup and one into the daily rollup (the same additions summed per
   * UTC day), in the caller's transaction: the daily row is always the sum of its 24 hourly rows.
   */
  async write(trx: Knex): Promise<void> {
    if (this.rows.size === 0) return;
    const hourly = [...this.rows.values()];
    const daily = new RollupDeltas();
    for (const { key, counts } of hourly) for (const [column, amount] of Object.entries(counts)) daily.add({ ...key, hour: dayOf(key.hour) }, column, amount);
    await upsert(trx, 'analytics_hourly', 'hour', hourly);
    await upsert(trx, 'analytics_daily', 'day', [...daily.rows.values()]);
    this.rows.clear();
  }
}

async function upsert(trx: Knex, table: 'analytics_hourly' | 'analytics_daily', time: 'hour' | 'day', deltas: Array<{ key: RollupKey; counts: Record<string, number> }>): Promise<void> {
  // Sorted by key: concurrent writers on PostgreSQL lock rows in one order (hourly, then daily) and cannot deadlock.
  const rows = deltas
    .sort((a, b) => a.key.botId - b.key.botId || a.key.hour - b.key.hour || cmp(a.key.alias, b.key.alias) || cmp(a.key.channel, b.key.channel))
    .map(({ key, counts }) => ({
      bot_id: key.botId,
      [time]: key.hour,
      alias: key.alias,
      channel: key.channel,
      ...Object.fromEntries(ROLLUP_COLUMNS.map((column) => [column, counts[column] ?? 0])),
    }));
  const merge = Object.fromEntries(ROLLUP_COLUMNS.map((column) => [column, trx.raw('?? + ??', [`${table}.${column}`, `excluded.${column}`])]));
  for (let i = 0; i < rows.length; i += 100) {
    await trx(table).insert(rows.slice(i, i + 100)).onConflict(['bot_id', time, 'alias', 'channel']).merge(merge);
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

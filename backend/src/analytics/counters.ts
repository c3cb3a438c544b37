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
/** The first instant of the UTC day: the key of the daily rollups. */
export const dayOf = (at: number): number => Math.floor(at / DAY_MS) * DAY_MS;

/** Where a fact is counted: the bot, the UTC hour (the UTC day in the daily rollup), the communication ('' for none) and the channel ('' for none). */
export interface RollupKey {
  botId: number;
  hour: number;
  alias: string;
  channel: string;
}

/** A rollup table: its time column (a UTC hour or day, ms) and whether it keeps the communication. */
export interface Rollup {
  table: 'analytics_hourly' | 'analytics_daily' | 'analytics_channel_hourly' | 'analytics_channel_daily';
  time: 'hour' | 'day';
  perAlias: boolean;
}

export const HOURLY: Rollup = { table: 'analytics_hourly', time: 'hour', perAlias: true };
export const DAILY: Rollup = { table: 'analytics_daily', time: 'day', perAlias: true };
/** Every communication summed (migration 0031): the rows a query without a communication reads, a few an hour. */
export const CHANNEL_HOURLY: Rollup = { table: 'analytics_channel_hourly', time: 'hour', perAlias: false };
export const CHANNEL_DAILY: Rollup = { table: 'analytics_channel_daily', time: 'day', perAlias: false };

/**
 * The rollups every write adds to, in the order it locks their rows: concurrent writers on
 * PostgreSQL take them in one order (tables in this order, rows sorted by key) and cannot deadlock.
 */
const WRITTEN: readonly Rollup[] = [HOURLY, DAILY, CHANNEL_HOURLY, CHANNEL_DAILY];

/** The key a fact has in a rollup: its hour's UTC day in a daily one, no communication in a per-channel one. */
const keyIn = (rollup: Rollup, key: RollupKey): RollupKey => ({
  botId: key.botId,
  hour: rollup.time === 'day' ? dayOf(key.hour) : key.hour,
  alias: rollup.perAlias ? key.alias : '',
  channel: key.channel,
});

/**
 * The additions of one transaction, summed per row in memory and written with one upsert per
 * rollup, so a batch of 500 events is four statements whatever it touches.
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
   * The same additions into each rollup (summed per UTC day, per channel), in the caller's
   * transaction: a daily row is always the sum of its 24 hourly rows, and a per-channel row the
   * sum of its communications' rows. A key whose additions cancel out still gets its row in every
   * rollup, so each one has a row wherever the hourly rollup has one (a series lists the buckets
   * with rows).
   */
  async write(trx: Knex): Promise<void> {
    if (this.rows.size === 0) return;
    for (const rollup of WRITTEN) {
      const summed = new RollupDeltas();
      for (const { key, counts } of this.rows.values()) for (const [column, amount] of Object.entries(counts)) summed.add(keyIn(rollup, key), column, amount);
      await upsert(trx, rollup, [...summed.rows.values()]);
    }
    this.rows.clear();
  }
}

async function upsert(trx: Knex, rollup: Rollup, deltas: Array<{ key: RollupKey; counts: Record<string, number> }>): Promise<void> {
  const rows = deltas
    .sort((a, b) => a.key.botId - b.key.botId || a.key.hour - b.key.hour || cmp(a.key.alias, b.key.alias) || cmp(a.key.channel, b.key.channel))
    .map(({ key, counts }) => ({
      bot_id: key.botId,
      [rollup.time]: key.hour,
      ...(rollup.perAlias ? { alias: key.alias } : {}),
      channel: key.channel,
      ...Object.fromEntries(ROLLUP_COLUMNS.map((column) => [column, counts[column] ?? 0])),
    }));
  const merge = Object.fromEntries(ROLLUP_COLUMNS.map((column) => [column, trx.raw('?? + ??', [`${rollup.table}.${column}`, `excluded.${column}`])]));
  const conflict = ['bot_id', rollup.time, ...(rollup.perAlias ? ['alias'] : []), 'channel'];
  for (let i = 0; i < rows.length; i += 100) {
    await trx(rollup.table).insert(rows.slice(i, i + 100)).onConflict(conflict).merge(merge);
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

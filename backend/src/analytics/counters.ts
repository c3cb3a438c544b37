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
export const hourOf = (at: number): number => Math.floor(at / HOUR_MS) * HOUR_MS;

/** Where a fact is counted: the bot, the UTC hour, the communication ('' for none) and the channel ('' for none). */
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

  async write(trx: Knex): Promise<void> {
    if (this.rows.size === 0) return;
    // Sorted by key: concurrent writers on PostgreSQL lock rows in one order and cannot deadlock.
    const rows = [...this.rows.values()]
      .sort((a, b) => a.key.botId - b.key.botId || a.key.hour - b.key.hour || cmp(a.key.alias, b.key.alias) || cmp(a.key.channel, b.key.channel))
      .map(({ key, counts }) => ({
        bot_id: key.botId,
        hour: key.hour,
        alias: key.alias,
        channel: key.channel,
        ...Object.fromEntries(ROLLUP_COLUMNS.map((column) => [column, counts[column] ?? 0])),
      }));
    const merge = Object.fromEntries(ROLLUP_COLUMNS.map((column) => [column, trx.raw('?? + ??', [`analytics_hourly.${column}`, `excluded.${column}`])]));
    for (let i = 0; i < rows.length; i += 100) {
      await trx('analytics_hourly').insert(rows.slice(i, i + 100)).onConflict(['bot_id', 'hour', 'alias', 'channel']).merge(merge);
    }
    this.rows.clear();
  }
}

const cmp = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);

import type { Knex } from 'knex';

const RESPONSE_BUCKETS = 17;
const ROLLUP_COUNTERS = [
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
const COLUMNS = [...ROLLUP_COUNTERS, ...Array.from({ length: RESPONSE_BUCKETS }, (_, i) => `rt_${i}`)];
const TABLES = [
  { table: 'analytics_channel_hourly', time: 'hour', from: 'analytics_hourly' },
  { table: 'analytics_channel_daily', time: 'day', from: 'analytics_daily' },
] as const;

/**
 * The per-channel rollups: the hourly and daily counters with every communication summed, per
 * bot, UTC hour (day) and channel, so a query without a communication reads a few rows an hour
 * instead of one per communication and channel (docs/analytics.md). Backfilled from the full
 * rollups in one statement each; from here on written with them. The full rollups get an index
 * that starts with the communication, for the queries filtered by one.
 */
export async function up(db: Knex): Promise<void> {
  for (const { table, time } of TABLES) {
    await db.schema.createTable(table, (t) => {
      t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
      t.bigInteger(time).notNullable();
      t.string('channel', 32).notNullable();
      for (const column of COLUMNS) t.bigInteger(column).notNullable().defaultTo(0);
      t.primary(['bot_id', time, 'channel']);
    });
  }
  await backfillChannelRollups(db);
  await db.schema.alterTable('analytics_hourly', (t) => t.index(['bot_id', 'alias', 'hour'], 'analytics_hourly_alias'));
  await db.schema.alterTable('analytics_daily', (t) => t.index(['bot_id', 'alias', 'day'], 'analytics_daily_alias'));
}

/** Every per-channel row from the full rollups, set-based (exported for the rollup property test). */
export async function backfillChannelRollups(db: Knex): Promise<void> {
  const quoted = COLUMNS.map((c) => `"${c}"`);
  for (const { table, time, from } of TABLES) {
    await db.raw(
      `insert into ${table} (bot_id, "${time}", channel, ${quoted.join(', ')})
       select bot_id, "${time}", channel, ${quoted.map((c) => `sum(${c})`).join(', ')}
       from ${from} group by bot_id, "${time}", channel`,
    );
  }
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('analytics_daily', (t) => t.dropIndex(['bot_id', 'alias', 'day'], 'analytics_daily_alias'));
  await db.schema.alterTable('analytics_hourly', (t) => t.dropIndex(['bot_id', 'alias', 'hour'], 'analytics_hourly_alias'));
  for (const { table } of TABLES) await db.schema.dropTableIfExists(table);
}

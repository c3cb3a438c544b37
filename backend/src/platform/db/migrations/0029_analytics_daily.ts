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
const DAY_MS = 86_400_000;

/**
 * The daily rollup: the hourly counters summed per bot, UTC day (its first instant, ms),
 * communication and channel, so a long window reads a row a day instead of 24 (docs/analytics.md).
 * Backfilled from the hourly rows in one statement; from here on written with them.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('analytics_daily', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.bigInteger('day').notNullable();
    t.string('alias', 200).notNullable();
    t.string('channel', 32).notNullable();
    for (const column of COLUMNS) t.bigInteger(column).notNullable().defaultTo(0);
    t.primary(['bot_id', 'day', 'alias', 'channel']);
  });
  await backfillDaily(db);
}

/** Every daily row from the hourly rows, set-based (exported for the rollup property test). */
export async function backfillDaily(db: Knex): Promise<void> {
  // Hours are whole UTC hours ≥ 0, so the integer division floors to the UTC day on both databases.
  const day = db.client.config.client === 'pg' ? `(hour / ${DAY_MS}) * ${DAY_MS}` : `cast(hour / ${DAY_MS} as integer) * ${DAY_MS}`;
  const quoted = COLUMNS.map((c) => `"${c}"`);
  await db.raw(
    `insert into analytics_daily (bot_id, day, alias, channel, ${quoted.join(', ')})
     select bot_id, ${day}, alias, channel, ${quoted.map((c) => `sum(${c})`).join(', ')}
     from analytics_hourly group by bot_id, ${day}, alias, channel`,
  );
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('analytics_daily');
}

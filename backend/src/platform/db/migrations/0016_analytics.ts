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

/**
 * Analytics rollups: counters per bot, UTC hour, communication (the alias that started the
 * trace, '' for none) and channel ('' for what has none: calls, webhooks), with the fixed
 * response-time histogram; and the little state that attributes an answer, a receipt or a goal
 * to the send it belongs to. Raw history is purged by retention; these rows are the summary
 * that stays.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('analytics_hourly', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.bigInteger('hour').notNullable();
    t.string('alias', 200).notNullable();
    t.string('channel', 32).notNullable();
    for (const column of ROLLUP_COUNTERS) t.bigInteger(column).notNullable().defaultTo(0);
    for (let i = 0; i < RESPONSE_BUCKETS; i++) t.bigInteger(`rt_${i}`).notNullable().defaultTo(0);
    t.primary(['bot_id', 'hour', 'alias', 'channel']);
  });

  // The communication a trace belongs to: written when its endpoint.called is rolled up.
  await db.schema.createTable('analytics_traces', (t) => {
    t.string('trace_id', 64).primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('alias', 200).notNullable();
    t.bigInteger('created_at').notNullable();
    t.index(['created_at']);
  });

  // Each lead's latest send: its first answer (text or tap) is that send's answer.
  await db.schema.createTable('analytics_last_sends', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('lead_id', 40).notNullable();
    t.string('message_id', 40).notNullable();
    t.string('alias', 200).notNullable();
    t.string('channel', 32).notNullable();
    t.bigInteger('sent_at').notNullable();
    t.boolean('answered').notNullable().defaultTo(false);
    t.primary(['bot_id', 'lead_id']);
    t.index(['sent_at']);
  });

  // A communication's goal still open for one recipient: converted when the goal happens before expires_at.
  await db.schema.createTable('analytics_goal_waits', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('alias', 200).notNullable();
    t.string('lead_id', 40).notNullable();
    t.string('user_id', 200).nullable();
    t.string('channel', 32).notNullable();
    // alias | event | button
    t.string('goal_kind', 16).notNullable();
    t.string('goal_value', 200).notNullable();
    t.bigInteger('sent_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.primary(['bot_id', 'alias', 'lead_id']);
    t.index(['bot_id', 'goal_kind', 'goal_value', 'lead_id']);
    t.index(['bot_id', 'goal_kind', 'goal_value', 'user_id']);
    t.index(['expires_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['analytics_goal_waits', 'analytics_last_sends', 'analytics_traces', 'analytics_hourly']) {
    await db.schema.dropTableIfExists(table);
  }
}

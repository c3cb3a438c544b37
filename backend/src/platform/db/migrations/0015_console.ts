import type { Knex } from 'knex';

/**
 * The console: its accounts, their sessions (only the SHA-256 of a session id is stored, so every
 * backend process shares them and a copy of the table opens none), the login throttle's counters,
 * who made each map version, and the indexes the trace explorer searches by.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('console_users', (t) => {
    t.increments('id').primary();
    t.string('email', 254).notNullable().unique();
    t.text('password_hash').notNullable();
    t.string('role', 20).notNullable();
    // JSON array of bot ids; empty: every bot.
    t.text('bot_ids').notNullable().defaultTo('[]');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('disabled_at').nullable();
  });
  await db.schema.createTable('console_sessions', (t) => {
    t.string('id_hash', 64).primary();
    t.integer('user_id').notNullable().references('console_users.id').onDelete('CASCADE');
    t.bigInteger('created_at').notNullable();
    t.bigInteger('expires_at').notNullable();
    t.index(['user_id']);
  });
  await db.schema.createTable('console_login_throttle', (t) => {
    // `account:<email>` or `address:<ip>`.
    t.string('key', 300).primary();
    t.bigInteger('window_started_at').notNullable();
    t.integer('attempts').notNullable();
    t.index(['window_started_at']);
  });
  await db.schema.alterTable('communication_maps', (t) => {
    // console | token | cli, and the console user's or token's id.
    t.string('author_kind', 16).nullable();
    t.string('author_ref', 64).nullable();
  });
  await db.schema.alterTable('trace_hops', (t) => {
    t.index(['bot_id', 'user_id'], 'trace_hops_bot_user');
    t.index(['bot_id', 'lead_id'], 'trace_hops_bot_lead');
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('trace_hops', (t) => {
    t.dropIndex(['bot_id', 'user_id'], 'trace_hops_bot_user');
    t.dropIndex(['bot_id', 'lead_id'], 'trace_hops_bot_lead');
  });
  await db.schema.alterTable('communication_maps', (t) => {
    t.dropColumn('author_kind');
    t.dropColumn('author_ref');
  });
  for (const table of ['console_login_throttle', 'console_sessions', 'console_users']) await db.schema.dropTableIfExists(table);
}

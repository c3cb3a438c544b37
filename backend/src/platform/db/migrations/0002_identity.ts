import type { Knex } from 'knex';

/** The identity map: leads (a person in one channel), links to CRM users, account states, link tokens. */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('leads', (t) => {
    t.string('id', 40).primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('channel', 32).notNullable();
    t.string('chat_id', 100).notNullable();
    t.string('first_name', 200).nullable();
    t.string('last_name', 200).nullable();
    t.string('username', 200).nullable();
    t.string('language', 16).nullable();
    // Digits only (normalised), so "+7 918 777-77-77" and "79187777777" find the same lead.
    t.string('phone', 32).nullable();
    t.string('email', 320).nullable();
    t.text('attributes').notNullable().defaultTo('{}');
    // False once the person blocked the bot in this channel (Telegram 403).
    t.boolean('reachable').notNullable().defaultTo(true);
    t.bigInteger('last_activity_at').notNullable();
    t.bigInteger('created_at').notNullable();
    t.unique(['bot_id', 'channel', 'chat_id']);
    t.index(['bot_id', 'phone']);
    t.index(['bot_id', 'email']);
  });

  // One row per lead: a lead is linked to at most one user; a user may have several leads.
  await db.schema.createTable('links', (t) => {
    t.string('lead_id', 40).primary().references('leads.id').onDelete('CASCADE');
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('user_id', 200).notNullable();
    t.string('source', 32).notNullable();
    t.string('status', 16).notNullable();
    t.bigInteger('connected_at').notNullable();
    t.bigInteger('disconnected_at').nullable();
    // Seed 004: a deleted account's lead is told so once, the next time it writes.
    t.bigInteger('deletion_noticed_at').nullable();
    t.index(['bot_id', 'user_id', 'status']);
  });

  await db.schema.createTable('user_accounts', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('user_id', 200).notNullable();
    t.string('state', 16).notNullable();
    t.bigInteger('paused_until').nullable();
    t.string('block_reason', 1000).nullable();
    t.bigInteger('created_at').notNullable();
    t.bigInteger('updated_at').notNullable();
    t.primary(['bot_id', 'user_id']);
    t.index(['paused_until']);
  });

  await db.schema.createTable('link_tokens', (t) => {
    t.string('hash', 64).primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('user_id', 200).notNullable();
    t.bigInteger('expires_at').notNullable();
    t.bigInteger('used_at').nullable();
    t.string('used_by_lead_id', 40).nullable();
    t.bigInteger('created_at').notNullable();
  });

  // Channels may redeliver an update (Telegram retries a webhook); the first one wins.
  await db.schema.createTable('inbound_updates', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('channel', 32).notNullable();
    t.string('update_id', 100).notNullable();
    t.bigInteger('received_at').notNullable();
    t.primary(['bot_id', 'channel', 'update_id']);
    t.index(['received_at']);
  });
}

export async function down(db: Knex): Promise<void> {
  for (const table of ['inbound_updates', 'link_tokens', 'user_accounts', 'links', 'leads']) {
    await db.schema.dropTableIfExists(table);
  }
}

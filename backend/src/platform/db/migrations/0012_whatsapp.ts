import type { Knex } from 'knex';

/**
 * WhatsApp Cloud API: a bot's phone number and its sealed credentials, the last time each person
 * wrote (the 24-hour customer-service window), and the delivery receipts WhatsApp sends back for
 * every recipient (found by the channel's message id).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('whatsapp_bots', (t) => {
    t.integer('bot_id').primary().references('bots.id').onDelete('CASCADE');
    // One number answers one bot: webhooks name the number, and two bots on it would steal each other's people.
    t.string('phone_number_id', 32).notNullable().unique();
    // AES-256-GCM of {accessToken, appSecret, verifyToken}; never logged, never returned.
    t.text('credentials_encrypted').notNullable();
    // The approved template sent instead of a free-form message outside the 24-hour window.
    t.text('fallback_template').nullable();
    t.bigInteger('updated_at').notNullable();
  });

  await db.schema.createTable('whatsapp_windows', (t) => {
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('wa_id', 32).notNullable();
    t.bigInteger('last_inbound_at').notNullable();
    t.primary(['bot_id', 'wa_id']);
  });

  await db.schema.alterTable('message_recipients', (t) => {
    t.bigInteger('delivered_at').nullable();
    t.bigInteger('read_at').nullable();
    // Status webhooks name the message by the channel's id.
    t.index(['bot_id', 'external_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('message_recipients', (t) => {
    t.dropIndex(['bot_id', 'external_id']);
    t.dropColumn('delivered_at');
    t.dropColumn('read_at');
  });
  await db.schema.dropTableIfExists('whatsapp_windows');
  await db.schema.dropTableIfExists('whatsapp_bots');
}

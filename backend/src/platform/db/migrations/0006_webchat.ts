import type { Knex } from 'knex';

/**
 * The web chat's history: every message between a bot and a visitor, in both directions. Outbound
 * rows are the channel's durable mailbox (the delivery worker's send is this insert); a visitor's
 * connection reads it since the last id it has seen.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('webchat_messages', (t) => {
    t.bigIncrements('id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('visitor_id', 40).notNullable();
    // out: bot → visitor; in: visitor → bot (text, button press, contact, start).
    t.string('direction', 3).notNullable();
    // The browser's id of an inbound action: a retried POST is stored and handled once.
    t.string('client_id', 64).nullable();
    t.text('body').notNullable();
    t.bigInteger('created_at').notNullable();
    // Visitor ids are random and unique across bots: history and live pushes look rows up by visitor.
    t.index(['visitor_id', 'id']);
    t.index(['visitor_id', 'created_at']);
    t.unique(['visitor_id', 'client_id']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('webchat_messages');
}

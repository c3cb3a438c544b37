import type { Knex } from 'knex';

/**
 * `message_recipients.bot_id` loses its foreign key on PostgreSQL: each row's message already
 * references its bot (bots → messages → message_recipients cascade on delete), every writer copies
 * the message's bot id, and the key's check trigger cost a 100,000-recipient send a third of a
 * second. SQLite keeps the key: dropping one there rebuilds the whole table (a long lock on the
 * largest table at upgrade), and its check is an in-process primary-key probe.
 */
const isPostgres = (db: Knex) => db.client.config.client === 'pg';

export async function up(db: Knex): Promise<void> {
  if (!isPostgres(db)) return;
  await db.schema.alterTable('message_recipients', (t) => t.dropForeign(['bot_id']));
}

export async function down(db: Knex): Promise<void> {
  if (!isPostgres(db)) return;
  await db.schema.alterTable('message_recipients', (t) => t.foreign('bot_id').references('bots.id').onDelete('CASCADE'));
}

import type { Knex } from 'knex';

/**
 * Files uploaded with a send (base64 in the request): kept once per message, whatever the number
 * of recipients, with the channel's file id once the first send has uploaded it (Telegram answers
 * a `file_id` the bot may reuse for every other recipient instead of uploading the bytes again).
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('message_files', (t) => {
    t.increments('id').primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('message_id', 40).notNullable().references('messages.id').onDelete('CASCADE');
    // The upload's place in its message (0 for the media, 0–9 for the items of an album).
    t.integer('position').notNullable();
    t.string('kind', 16).notNullable();
    t.string('file_name', 255).notNullable();
    t.string('mime_type', 255).nullable();
    t.integer('size').notNullable();
    t.binary('data').notNullable();
    // Telegram's file_id of the first upload; file ids belong to one bot, as this row does.
    t.string('telegram_file_id', 256).nullable();
    t.unique(['message_id', 'position']);
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTable('message_files');
}

import type { Knex } from 'knex';

/**
 * Files web-chat visitors sent: one row per file (its bytes are a 0600 file of the data folder,
 * named by the id). The id is what workflows get as `media.fileId` and download with.
 */
export async function up(db: Knex): Promise<void> {
  await db.schema.createTable('webchat_files', (t) => {
    t.string('file_id', 40).primary();
    t.integer('bot_id').notNullable().references('bots.id').onDelete('CASCADE');
    t.string('visitor_id', 40).notNullable();
    t.string('file_name', 255).notNullable();
    // Detected from the bytes, never the browser's word.
    t.string('mime_type', 100).notNullable();
    t.integer('size').notNullable();
    t.bigInteger('created_at').notNullable();
  });
}

export async function down(db: Knex): Promise<void> {
  await db.schema.dropTableIfExists('webchat_files');
}

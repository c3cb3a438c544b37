import type { Knex } from 'knex';

/** The retention purge reads visitors' files by age: an index, so the hourly run reads only the old ones. */
export async function up(db: Knex): Promise<void> {
  await db.schema.alterTable('webchat_files', (t) => t.index(['created_at'], 'webchat_files_created_at_idx'));
}

export async function down(db: Knex): Promise<void> {
  await db.schema.alterTable('webchat_files', (t) => t.dropIndex(['created_at'], 'webchat_files_created_at_idx'));
}

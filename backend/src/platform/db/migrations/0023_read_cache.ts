import type { Knex } from 'knex';

/**
 * PostgreSQL only: the tables each process keeps in its ReadCache (tokens, bots, map versions)
 * notify `metabot_changes` after every statement that changes them, delivered to every listening
 * process once the transaction commits (none on rollback). Statement-level, so a bulk change is
 * one notice; cascaded deletes fire them too. SQLite counts changes instead (0035_read_cache_version).
 */
/** The tables a ReadCache may hold rows of: the triggers and the cache's own-write check use this one list. */
export const CACHED_TABLES = ['api_tokens', 'bots', 'communication_maps'] as const;
export type CachedTable = (typeof CACHED_TABLES)[number];

const isPostgres = (db: Knex) => db.client.config.client === 'pg';

export async function up(db: Knex): Promise<void> {
  if (!isPostgres(db)) return;
  await db.raw(`
    create or replace function metabot_notify_change() returns trigger language plpgsql as $$
    begin
      perform pg_notify('metabot_changes', tg_table_name);
      return null;
    end $$`);
  for (const table of CACHED_TABLES) {
    await db.raw(`create trigger ${table}_changed after insert or update or delete or truncate on ${table} for each statement execute function metabot_notify_change()`);
  }
}

export async function down(db: Knex): Promise<void> {
  if (!isPostgres(db)) return;
  for (const table of CACHED_TABLES) await db.raw(`drop trigger if exists ${table}_changed on ${table}`);
  await db.raw('drop function if exists metabot_notify_change()');
}

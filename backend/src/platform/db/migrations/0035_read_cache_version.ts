import type { Knex } from 'knex';
import { CACHED_TABLES } from './0023_read_cache';

/**
 * SQLite only: one version counter that every change to a table a ReadCache holds (tokens, bots,
 * map versions) bumps in the same transaction, by row triggers. A process compares it with the
 * value it last read to know whether another process (a CLI command) changed one of them since.
 * PostgreSQL learns of changes by LISTEN/NOTIFY instead (0023_read_cache).
 */
export const READ_CACHE_VERSION_SQL = 'select version from read_cache_version where id = 1';

const isPostgres = (db: Knex) => db.client.config.client === 'pg';
const OPERATIONS = ['insert', 'update', 'delete'] as const;

export async function up(db: Knex): Promise<void> {
  if (isPostgres(db)) return;
  await db.raw('create table read_cache_version (id integer primary key check (id = 1), version integer not null)');
  await db.raw('insert into read_cache_version (id, version) values (1, 0)');
  for (const table of CACHED_TABLES) {
    for (const operation of OPERATIONS) {
      await db.raw(`create trigger ${table}_${operation}_bumps_read_cache after ${operation} on ${table} begin update read_cache_version set version = version + 1; end`);
    }
  }
}

export async function down(db: Knex): Promise<void> {
  if (isPostgres(db)) return;
  for (const table of CACHED_TABLES) {
    for (const operation of OPERATIONS) await db.raw(`drop trigger if exists ${table}_${operation}_bumps_read_cache`);
  }
  await db.raw('drop table if exists read_cache_version');
}

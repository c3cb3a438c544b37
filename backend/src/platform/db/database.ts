import path from 'node:path';
import knex, { type Knex } from 'knex';
import type pg from 'pg';
import type { Config } from '../config/config';
import { makePrivateDir, makePrivateFile, restrictExisting } from '../private-files';
import { migrationSource } from './migrations/index';
import { registerSqliteFunctions } from './sqlite-functions';
import { PreparedSqliteClient } from './sqlite-client';

export type Database = Knex;

/** node-postgres, loaded for a PostgreSQL database only (as knex loads it): a SQLite backend never needs it. */
export const postgresDriver = () => require('pg') as typeof pg;

export function isPostgres(db: Knex): boolean {
  return db.client.config.client === 'pg';
}

export function createDatabase(config: Pick<Config, 'DATABASE_URL' | 'sqliteFile'>): Knex {
  if (config.DATABASE_URL) {
    // PostgreSQL returns BIGINT (int8) and NUMERIC as strings; our timestamps are epoch milliseconds
    // and ids are far below 2^53, so numbers are safe and keep both dialects returning the same types.
    // (The parsers are the driver's process-wide settings: setting them again changes nothing.)
    const { types } = postgresDriver();
    types.setTypeParser(20, (value) => Number(value));
    types.setTypeParser(1700, (value) => Number(value));
    return knex({ client: 'pg', connection: config.DATABASE_URL, pool: { min: 0, max: 10 } });
  }
  makePrivateDir(path.dirname(config.sqliteFile));
  // SQLite gives the -wal and -shm files it creates the mode of the database file; ones left by an
  // earlier version are tightened here.
  makePrivateFile(config.sqliteFile);
  restrictExisting([`${config.sqliteFile}-wal`, `${config.sqliteFile}-shm`]);
  const db = knex({
    client: PreparedSqliteClient,
    connection: { filename: config.sqliteFile },
    useNullAsDefault: true,
    pool: {
      afterCreate(connection: { pragma(sql: string): unknown } & Parameters<typeof registerSqliteFunctions>[0], done: (err: Error | null, conn: unknown) => void) {
        connection.pragma('journal_mode = WAL');
        connection.pragma('synchronous = NORMAL');
        connection.pragma('busy_timeout = 5000');
        connection.pragma('foreign_keys = ON');
        registerSqliteFunctions(connection);
        done(null, connection);
      },
    },
  });
  return db;
}

export async function migrateToLatest(db: Knex): Promise<string[]> {
  const [, applied] = (await db.migrate.latest({ migrationSource })) as [number, string[]];
  return applied;
}

export type DatabaseHealth = 'ok' | 'unreachable' | 'unwritable';

/**
 * Readiness: the database answers, and takes a write — a SQLite file on a full disk still answers
 * reads. The write changes knex's one-row migration lock table and changes it back, in one committed
 * transaction (SQLite skips writing an update that sets a column to itself).
 */
export async function checkDatabase(db: Knex): Promise<DatabaseHealth> {
  try {
    await db.raw('select 1');
  } catch {
    return 'unreachable';
  }
  try {
    await db.transaction(async (trx) => {
      await trx('knex_migrations_lock').increment('is_locked', 1);
      await trx('knex_migrations_lock').decrement('is_locked', 1);
    });
    return 'ok';
  } catch (error) {
    return isDatabaseUnavailable(error) ? 'unwritable' : 'unreachable';
  }
}

// PostgreSQL: 08 connection exceptions, 53 insufficient resources (disk full, out of memory), 57P
// shutdown / cannot connect now. SQLite: a full disk or file-size limit, I/O errors, a lock held too long.
const UNAVAILABLE_CODES = /^(08\w{3}|53\w{3}|57P0[1-3]|SQLITE_(FULL|IOERR|BUSY|CANTOPEN)\w*|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|ENOTFOUND|EAI_AGAIN)$/;
// node-postgres reports a connection lost mid-query without a code.
const UNAVAILABLE_MESSAGES = /Knex: Timeout acquiring a connection|Connection terminated|connection error and is not queryable|the database system is (starting up|shutting down)/;

/** True when an error means the database cannot be used right now (as opposed to a bad query). */
export function isDatabaseUnavailable(error: unknown): boolean {
  const e = error as { code?: unknown; message?: unknown } | undefined;
  return UNAVAILABLE_CODES.test(String(e?.code ?? '')) || UNAVAILABLE_MESSAGES.test(String(e?.message ?? ''));
}

/** True when PostgreSQL refused a text value it cannot store (a NUL character): the caller's input, not a fault. */
export function isUnstorableText(error: unknown): boolean {
  const code = (error as { code?: unknown } | undefined)?.code;
  return code === '22021' || code === '22P05';
}

/** True when an insert failed on a unique constraint, in either dialect. */
export function isUniqueViolation(error: unknown): boolean {
  const e = error as { code?: string; message?: string };
  return e.code === '23505' || e.code === 'SQLITE_CONSTRAINT_UNIQUE' || e.code === 'SQLITE_CONSTRAINT_PRIMARYKEY';
}

/** JSON is stored as text in both dialects, so the same code reads it back. */
export function toJson(value: unknown): string {
  return JSON.stringify(value ?? null);
}

export function fromJson<T>(value: unknown): T {
  if (typeof value !== 'string') return value as T;
  return JSON.parse(value) as T;
}

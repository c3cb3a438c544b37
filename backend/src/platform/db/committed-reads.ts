import Sqlite from 'better-sqlite3';
import type { Knex } from 'knex';

interface Reader {
  connection: Sqlite.Database;
  statements: Map<string, Sqlite.Statement>;
}

const readers = new WeakMap<Knex, Reader>();

function readerFor(db: Knex): Reader {
  let reader = readers.get(db);
  if (!reader) {
    const { filename } = db.client.config.connection as { filename: string };
    reader = { connection: new Sqlite(filename, { readonly: true, fileMustExist: true }), statements: new Map() };
    readers.set(db, reader);
  }
  return reader;
}

/**
 * One row by a constant SQL text (`?` placeholders), for the reads every request makes (token,
 * bot, current map version). On SQLite it runs as a prepared statement, kept per SQL text, on a
 * second read-only connection: knex prepares every statement anew and queues behind any open
 * transaction on its single connection, whereas a WAL reader waits for nobody and sees exactly
 * what has committed, as a read through the pool does. On PostgreSQL it is a raw query.
 */
export async function readRow<T>(db: Knex, sql: string, bindings: ReadonlyArray<string | number>): Promise<T | undefined> {
  if (db.client.config.client === 'pg') {
    const result = await db.raw<{ rows: T[] }>(sql, bindings);
    return result.rows[0];
  }
  const { connection, statements } = readerFor(db);
  let statement = statements.get(sql);
  if (!statement) {
    statement = connection.prepare(sql);
    statements.set(sql, statement);
  }
  return statement.get(...bindings) as T | undefined;
}

/** Closes the read-only connection of `db`, if one was opened (part of destroying the database). */
export function closeCommittedReads(db: Knex): void {
  readers.get(db)?.connection.close();
  readers.delete(db);
}

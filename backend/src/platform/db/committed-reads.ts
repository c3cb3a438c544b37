import Sqlite from 'better-sqlite3';
import type { Knex } from 'knex';
import { isPostgres } from './database';

/**
 * One row by a constant SQL text (`?` placeholders), for the reads every request makes (token,
 * bot, current map version). On SQLite it runs as a prepared statement, kept per SQL text, on a
 * second read-only connection: knex prepares every statement anew and queues behind any open
 * transaction on its single connection, whereas a WAL reader waits for nobody and sees exactly
 * what has committed, as a read through the pool does. On PostgreSQL it is a raw query.
 */
export class CommittedReads {
  private connection?: Sqlite.Database;
  private readonly statements = new Map<string, Sqlite.Statement>();

  constructor(private readonly db: Knex) {}

  async row<T>(sql: string, bindings: ReadonlyArray<string | number>): Promise<T | undefined> {
    if (isPostgres(this.db)) {
      const result = await this.db.raw<{ rows: T[] }>(sql, bindings);
      return result.rows[0];
    }
    return this.statement(sql).get(...bindings) as T | undefined;
  }

  /** Closes the read-only connection, if one was opened (with the database, at shutdown). */
  close(): void {
    this.connection?.close();
    this.connection = undefined;
    this.statements.clear();
  }

  private statement(sql: string): Sqlite.Statement {
    let statement = this.statements.get(sql);
    if (!statement) {
      const { filename } = this.db.client.config.connection as { filename: string };
      this.connection ??= new Sqlite(filename, { readonly: true, fileMustExist: true });
      statement = this.connection.prepare(sql);
      this.statements.set(sql, statement);
    }
    return statement;
  }
}

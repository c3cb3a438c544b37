import Sqlite from 'better-sqlite3';
import type { Knex } from 'knex';
import type pg from 'pg';
import { listenFeed, versionFeed } from './change-feeds';
import { isPostgres } from './database';
import type { CachedTable } from './migrations/0023_read_cache';
import { READ_CACHE_VERSION_SQL } from './migrations/0035_read_cache_version';
import { ReadCache } from './read-cache';

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
  private readonly cache: ReadCache;

  constructor(
    private readonly db: Knex,
    options: { cacheTtlMs: number },
  ) {
    const feed = isPostgres(db)
      ? listenFeed(db.client.config.connection as string | pg.ClientConfig)
      : versionFeed(() => (this.statement(READ_CACHE_VERSION_SQL).get() as { version: number }).version);
    this.cache = new ReadCache(db, feed, options.cacheTtlMs);
  }

  async row<T>(sql: string, bindings: ReadonlyArray<string | number>): Promise<T | undefined> {
    if (isPostgres(this.db)) {
      const result = await this.db.raw<{ rows: T[] }>(sql, bindings);
      return result.rows[0];
    }
    return this.statement(sql).get(...bindings) as T | undefined;
  }

  /**
   * `row` for a table that changes rarely (`table` is the one the SQL reads), served from this
   * process's ReadCache while fresh: on SQLite too, where every read outside a transaction is a
   * read transaction of its own (three per call cost a call more than a fifth of its SQLite time).
   */
  async cachedRow<T>(table: CachedTable, sql: string, bindings: ReadonlyArray<string | number>): Promise<T | undefined> {
    return this.cache.row(`${table}\n${sql}\n${JSON.stringify(bindings)}`, () => this.row<T>(sql, bindings));
  }

  /** Closes the read-only connection and the cache's LISTEN connection, if opened (with the database, at shutdown). */
  async close(): Promise<void> {
    this.connection?.close();
    this.connection = undefined;
    this.statements.clear();
    await this.cache.close();
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

import { createRequire } from 'node:module';
import type Sqlite from 'better-sqlite3';
import type { Knex } from 'knex';

/** What knex hands its dialect's `_query`: the SQL text, its bindings, options; the result goes back in it. */
interface QueryObject {
  sql?: string;
  bindings?: unknown[];
  options?: { safeIntegers?: unknown };
  response?: unknown;
  context?: { lastID: number | bigint; changes: number };
}

interface BetterSqlite3Dialect {
  _formatBindings(bindings: unknown[] | undefined): unknown[];
}

// knex's dialect classes are not in its type declarations; this one is what `client: 'better-sqlite3'` names.
const BetterSqlite3Client = createRequire(__filename)('knex/lib/dialects/better-sqlite3') as typeof Knex.Client;

/** Statements kept per connection: more than the distinct fixed texts the service runs, so a hot one stays. */
const MAX_STATEMENTS = 200;
/**
 * A statement with more bound values than this is prepared for its run only: its text varies with
 * the size of its batch (an insert of N rows, `in (?, …)` of N ids), so it is mostly a one-off, and
 * its compiled program is large (hundreds of kB for a 500-row insert: kept, a fan-out to 100,000
 * people held 250 MB more).
 */
const MAX_KEPT_BINDINGS = 50;

/**
 * Where a connection keeps its statements: on the connection itself, as a transaction's client is
 * made by knex from the prototype, without running a constructor, yet runs on the same connection.
 */
const STATEMENTS = Symbol('prepared statements');
type KeepingConnection = Sqlite.Database & { [STATEMENTS]?: Map<string, Sqlite.Statement> };

/**
 * knex's better-sqlite3 dialect, with each connection's prepared statements kept by SQL text:
 * the stock one prepares every statement anew, which SQLite parses and plans each time (under a
 * stream of calls, a tenth of the process's CPU). The least recently used statement is dropped past
 * MAX_STATEMENTS; one of many bound values is not kept (MAX_KEPT_BINDINGS). A statement that sets
 * `safeIntegers` is prepared for that run only, so a kept one always reads integers the
 * connection's way. SQLite re-prepares a kept statement itself when the schema changed under it.
 */
export class PreparedSqliteClient extends BetterSqlite3Client {
  async _query(connection: Sqlite.Database, obj: QueryObject): Promise<QueryObject> {
    if (!obj.sql) throw new Error('The query is empty');
    const ownIntegers = typeof obj.options?.safeIntegers === 'boolean' ? obj.options.safeIntegers : undefined;
    const bindings = (this as unknown as BetterSqlite3Dialect)._formatBindings(obj.bindings);
    const keep = ownIntegers === undefined && bindings.length <= MAX_KEPT_BINDINGS;
    const statement = keep ? this.statement(connection, obj.sql) : connection.prepare(obj.sql);
    if (ownIntegers !== undefined) statement.safeIntegers(ownIntegers);
    if (statement.reader) {
      obj.response = statement.all(bindings);
      return obj;
    }
    const result = statement.run(bindings);
    obj.response = result;
    obj.context = { lastID: result.lastInsertRowid, changes: result.changes };
    return obj;
  }

  private statement(connection: KeepingConnection, sql: string): Sqlite.Statement {
    const statements = (connection[STATEMENTS] ??= new Map());
    const kept = statements.get(sql);
    if (kept) {
      // Re-inserted: the Map's order is the order of last use.
      statements.delete(sql);
      statements.set(sql, kept);
      return kept;
    }
    const statement = connection.prepare(sql);
    statements.set(sql, statement);
    if (statements.size > MAX_STATEMENTS) statements.delete(statements.keys().next().value as string);
    return statement;
  }
}

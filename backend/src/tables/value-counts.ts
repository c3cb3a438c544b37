import type { Knex } from 'knex';
import { isPostgres } from '../platform/db/database';

/**
 * PostgreSQL keeps, per data table, how many values each rankable column holds (migration 0033:
 * delta rows in `data_table_value_counts`, added by statement triggers in the writer's transaction).
 * SQLite needs none: its `count(*)` comes from the b-tree's page headers.
 */
export const RANKABLE_TYPES: readonly string[] = ['number', 'datetime', 'string'];

/** What these functions need of a table (the catalogue's DataTable has it; it imports this module). */
interface CountedTable {
  id: number;
  physical: string;
  columns: ReadonlyArray<{ type: string; physical: string }>;
}

/** Past this many delta rows a column's count is folded into one row when it is next read. */
const FOLD_AFTER_DELTAS = 64;

const TRIGGERS = [
  { event: 'insert', transition: 'new table as new_rows' },
  { event: 'update', transition: 'old table as old_rows new table as new_rows' },
  { event: 'delete', transition: 'old table as old_rows' },
] as const;

/** (Re)creates the table's counting triggers for its current columns; no-op on SQLite. */
export async function installValueCounts(trx: Knex, table: CountedTable): Promise<void> {
  if (!isPostgres(trx)) return;
  const counted = table.columns.filter((c) => RANKABLE_TYPES.includes(c.type)).map((c) => c.physical);
  // Table ids and physical names are ours (digits, `c_<id>`), never user text.
  const args = [String(table.id), ...counted].map((a) => `'${a}'`).join(', ');
  for (const { event, transition } of TRIGGERS) {
    const name = `${table.physical}_count_${event}`;
    await trx.raw('drop trigger if exists ?? on ??', [name, table.physical]);
    await trx.raw(`create trigger ?? after ${event} on ?? referencing ${transition} for each statement execute function data_table_count_values(${args})`, [name, table.physical]);
  }
}

/** Forgets a dropped table's counts; no-op on SQLite. */
export async function dropValueCounts(trx: Knex, tableId: number): Promise<void> {
  if (isPostgres(trx)) await trx('data_table_value_counts').where({ table_id: tableId }).delete();
}

/** SQL for a column's value count on PostgreSQL, as `total` and `deltas` (how many rows it sums). */
export function valueCountSql(db: Knex, table: CountedTable, column: { physical: string }): Knex.Raw {
  return db.raw('select coalesce(sum(n), 0) as total, count(*) as deltas from data_table_value_counts where table_id = ? and column_name = ?', [table.id, column.physical]);
}

/**
 * Folds a column's delta rows into one when there are many. One statement: the rows it deletes are
 * summed into the row it inserts; a concurrent fold skips the rows this one deleted, and writers'
 * new rows (not yet visible) stay as they are, so the sum never changes.
 */
export async function foldValueCounts(db: Knex, table: CountedTable, column: { physical: string }, deltas: number): Promise<void> {
  if (deltas <= FOLD_AFTER_DELTAS) return;
  await db.raw(
    `with gone as (delete from data_table_value_counts where table_id = ? and column_name = ? returning n)
     insert into data_table_value_counts (table_id, column_name, n) select ?, ?, sum(n) from gone having count(*) > 0`,
    [table.id, column.physical, table.id, column.physical],
  );
}

import type { Knex } from 'knex';

/**
 * PostgreSQL only: how many values each rankable column of each data table holds, kept in the same
 * transaction as every write, so the percentile of a value over the whole table need not count them
 * (PostgreSQL's `count` visits every row; SQLite answers `count(*)` from the b-tree and needs none).
 *
 * The counts are delta rows, never a counter updated in place: each write statement's trigger adds
 * one row per column whose count it changed, so concurrent writers of a table never wait on each
 * other; a reader sums the rows (and folds them into one when there are many). The triggers are
 * statement-level with transition tables, so a batch of 10,000 rows costs one small aggregate per
 * statement, not a write per row. `data_table_count_values(tableId, column…)` is shared by every
 * table; the tables module installs its three triggers (insert, update, delete) per table.
 */
const COUNTED_TYPES = ['number', 'datetime', 'string'];
const SYSTEM_COLUMNS = ['id', 'created_at', 'updated_at'];

const COUNT_FUNCTION = `
create or replace function data_table_count_values() returns trigger language plpgsql as $$
declare
  counts text := '';
  deltas text := '';
begin
  for i in 1 .. TG_NARGS - 1 loop
    counts := counts || format('%s count(%I) as a%s', case when i > 1 then ',' end, TG_ARGV[i], i);
    deltas := deltas || format('%s(%L, %s)', case when i > 1 then ',' end, TG_ARGV[i],
      case TG_OP when 'INSERT' then format('s.a%s', i) when 'DELETE' then format('-s.a%s', i) else format('s.a%s - o.a%s', i, i) end);
  end loop;
  execute format('insert into data_table_value_counts (table_id, column_name, n) select %s, x.name, x.n from (select %s from %s) s%s cross join lateral (values %s) x(name, n) where x.n <> 0',
    TG_ARGV[0]::integer, counts, case TG_OP when 'DELETE' then 'old_rows' else 'new_rows' end,
    case TG_OP when 'UPDATE' then format(', (select %s from old_rows) o', counts) else '' end, deltas);
  return null;
end $$`;

export async function up(db: Knex): Promise<void> {
  if (db.client.config.client !== 'pg') return;
  await db.schema.createTable('data_table_value_counts', (t) => {
    t.integer('table_id').notNullable();
    t.string('column_name', 63).notNullable();
    t.bigInteger('n').notNullable();
    t.index(['table_id', 'column_name']);
  });
  await db.raw(COUNT_FUNCTION);
  const tables = (await db('data_tables').select('id', 'physical_name')) as Array<{ id: number; physical_name: string }>;
  for (const table of tables) {
    const user = (await db('data_table_columns').where({ table_id: table.id }).whereIn('type', COUNTED_TYPES).orderBy('position').pluck('id')) as number[];
    const columns = [...SYSTEM_COLUMNS, ...user.map((id) => `c_${id}`)];
    await installTriggers(db, table.id, table.physical_name, columns);
    const counted = columns.map((c) => db.raw('select ?, ?, count(??) from ??', [table.id, c, c, table.physical_name]).toString()).join(' union all ');
    await db.raw(`insert into data_table_value_counts (table_id, column_name, n) ${counted}`);
  }
}

/** As the tables module installs them at the time of this migration (backend/src/tables/value-counts.ts). */
async function installTriggers(db: Knex, tableId: number, physical: string, columns: string[]): Promise<void> {
  const args = [String(tableId), ...columns].map((a) => `'${a}'`).join(', ');
  await db.raw(`create trigger ?? after insert on ?? referencing new table as new_rows for each statement execute function data_table_count_values(${args})`, [`${physical}_count_insert`, physical]);
  await db.raw(`create trigger ?? after update on ?? referencing old table as old_rows new table as new_rows for each statement execute function data_table_count_values(${args})`, [`${physical}_count_update`, physical]);
  await db.raw(`create trigger ?? after delete on ?? referencing old table as old_rows for each statement execute function data_table_count_values(${args})`, [`${physical}_count_delete`, physical]);
}

export async function down(db: Knex): Promise<void> {
  if (db.client.config.client !== 'pg') return;
  await db.raw('drop function data_table_count_values() cascade');
  await db.schema.dropTable('data_table_value_counts');
}

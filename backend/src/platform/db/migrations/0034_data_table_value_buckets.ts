import type { Knex } from 'knex';

/**
 * PostgreSQL only: beside each kept value count (migration 0033), how many values of each column lie
 * in each fixed value range (bucket), so the percentile of a value over the whole table sums the
 * buckets below the subject's and counts index entries inside its bucket only, instead of half the
 * table. Kept the same way as the counts: delta rows added by statement triggers with transition
 * tables, in the writer's transaction, never a counter updated in place; a reader sums and folds them.
 * A delta row holds one statement's changes of one column as two arrays (bucket, count), so a batch of
 * 10,000 rows writes one small row per column, not one per bucket it touched.
 *
 * Counted per bucket: user columns of numbers or datetimes that lead an index. The boundaries never
 * move, so the deltas of every write add up. A number's bucket is the top 18 bits of its double (sign,
 * exponent, 6 mantissa bits), order-preserving: `u` for a positive double, `131071 - u` for a
 * negative one (-0 is made 0 first); a datetime's (epoch ms) is `ms >> 26`, about 18.6 hours. Numbers
 * are grouped by value before their bucket is computed (most columns repeat values: minutes, prices).
 * `data_table_count_buckets(tableId, kind, column, …)` (kind `n` or `d`) is shared by every table.
 */
const BUCKET_FUNCTION = `
create or replace function data_table_count_buckets() returns trigger language plpgsql as $$
declare
  parts text[] := '{}';
  rels text[] := case TG_OP when 'INSERT' then array['new_rows'] when 'DELETE' then array['old_rows'] else array['new_rows', 'old_rows'] end;
  rel text;
  col text;
begin
  for i in 0 .. (TG_NARGS - 1) / 2 - 1 loop
    col := TG_ARGV[2 + 2 * i];
    foreach rel in array rels loop
      parts := parts || case TG_ARGV[1 + 2 * i]
        when 'n' then format('select %L as name, case when u >= 131072 then 131071 - u else u end as bucket, n from (select (get_byte(f, 0) << 10) | (get_byte(f, 1) << 2) | (get_byte(f, 2) >> 6) as u, n from (select float8send(v + 0::float8) as f, n from (select %I as v, %s * count(*) as n from %s where %I is not null group by 1) v) f) u',
          col, col, case rel when 'new_rows' then 1 else -1 end, rel, col)
        else format('select %L as name, %I >> 26 as bucket, %s * count(*) as n from %s where %I is not null group by 2', col, col, case rel when 'new_rows' then 1 else -1 end, rel, col)
      end;
    end loop;
  end loop;
  execute format('insert into data_table_value_buckets (table_id, column_name, buckets, counts) select %s, name, array_agg(bucket order by bucket), array_agg(n order by bucket) from (select name, bucket, sum(n)::bigint as n from (%s) x group by name, bucket having sum(n) <> 0) y group by name',
    TG_ARGV[0]::integer, array_to_string(parts, ' union all '));
  return null;
end $$`;

const TRIGGERS = [
  { event: 'insert', transition: 'new table as new_rows' },
  { event: 'update', transition: 'old table as old_rows new table as new_rows' },
  { event: 'delete', transition: 'old table as old_rows' },
] as const;

interface BucketedColumn {
  physical: string;
  type: 'number' | 'datetime';
}

export async function up(db: Knex): Promise<void> {
  if (db.client.config.client !== 'pg') return;
  await db.schema.createTable('data_table_value_buckets', (t) => {
    t.integer('table_id').notNullable();
    t.string('column_name', 63).notNullable();
    t.specificType('buckets', 'bigint[]').notNullable();
    t.specificType('counts', 'bigint[]').notNullable();
    t.index(['table_id', 'column_name']);
  });
  await db.raw(BUCKET_FUNCTION);
  const tables = (await db('data_tables').select('id', 'physical_name', 'indexes')) as Array<{ id: number; physical_name: string; indexes: string }>;
  for (const table of tables) {
    const columns = await bucketedColumns(db, table.id, JSON.parse(table.indexes) as Array<{ columns: string[] }>);
    if (columns.length === 0) continue;
    await installTriggers(db, table.id, table.physical_name, columns);
    for (const column of columns) await db.raw(`insert into data_table_value_buckets (table_id, column_name, buckets, counts) ${existingBuckets(table.id, table.physical_name, column)}`);
  }
}

/** As the tables module picks them at the time of this migration (isBucketed in backend/src/tables/value-counts.ts). */
async function bucketedColumns(db: Knex, tableId: number, indexes: Array<{ columns: string[] }>): Promise<BucketedColumn[]> {
  const rows = (await db('data_table_columns').where({ table_id: tableId }).whereIn('type', ['number', 'datetime']).orderBy('position').select('id', 'name', 'type', 'unique')) as Array<{ id: number; name: string; type: 'number' | 'datetime'; unique: unknown }>;
  return rows.filter((c) => Boolean(c.unique) || indexes.some((index) => index.columns[0] === c.name)).map((c) => ({ physical: `c_${c.id}`, type: c.type }));
}

async function installTriggers(db: Knex, tableId: number, physical: string, columns: BucketedColumn[]): Promise<void> {
  const args = [String(tableId), ...columns.flatMap((c) => [c.type === 'number' ? 'n' : 'd', c.physical])].map((a) => `'${a}'`).join(', ');
  for (const { event, transition } of TRIGGERS) {
    await db.raw(`create trigger ?? after ${event} on ?? referencing ${transition} for each statement execute function data_table_count_buckets(${args})`, [`${physical}_bucket_${event}`, physical]);
  }
}

function existingBuckets(tableId: number, physical: string, column: BucketedColumn): string {
  const c = `"${column.physical}"`;
  const bucket =
    column.type === 'number'
      ? `(select case when u >= 131072 then 131071 - u else u end from (select (get_byte(f, 0) << 10) | (get_byte(f, 1) << 2) | (get_byte(f, 2) >> 6) as u from (select float8send(${c} + 0::float8) as f) f) u)`
      : `${c} >> 26`;
  const counted = `select ${bucket} as b, count(*) as n from "${physical}" where ${c} is not null group by 1`;
  return `select ${tableId}, '${column.physical}', array_agg(b order by b), array_agg(n order by b) from (${counted}) x having count(*) > 0`;
}

export async function down(db: Knex): Promise<void> {
  if (db.client.config.client !== 'pg') return;
  await db.raw('drop function data_table_count_buckets() cascade');
  await db.schema.dropTable('data_table_value_buckets');
}

import type { Knex } from 'knex';
import { isPostgres } from '../platform/db/database';

/**
 * PostgreSQL keeps, per data table, how many values each rankable column holds (migration 0033:
 * delta rows in `data_table_value_counts`, added by statement triggers in the writer's transaction),
 * and for indexed number and datetime columns how many lie in each fixed value bucket (migration
 * 0034: `data_table_value_buckets`, kept the same way). SQLite needs none: its `count(*)` comes from
 * the b-tree's page headers, and it counts half a million index entries in about 10 ms.
 */
export const RANKABLE_TYPES: readonly string[] = ['number', 'datetime', 'string'];

/** What these functions need of a table (the catalogue's DataTable has it; it imports this module). */
interface CountedTable {
  id: number;
  physical: string;
  columns: ReadonlyArray<CountedColumn>;
  indexes: ReadonlyArray<{ columns: readonly string[] }>;
}

interface CountedColumn {
  name: string;
  type: string;
  physical: string;
  unique: boolean;
  system: boolean;
}

/** Past this many delta rows a column's count is folded into one row when it is next read. */
const FOLD_AFTER_DELTAS = 64;

const TRIGGERS = [
  { event: 'insert', transition: 'new table as new_rows' },
  { event: 'update', transition: 'old table as old_rows new table as new_rows' },
  { event: 'delete', transition: 'old table as old_rows' },
] as const;

/**
 * (Re)creates the table's counting triggers for its current columns and indexes; no-op on SQLite.
 * `countRowsOf`: columns that start to be counted per bucket while they hold values (an index on them
 * was just added); their rows' buckets are counted after the triggers are swapped: dropping a trigger
 * waits for the table's writers and holds off new ones until the transaction ends, so no row is
 * missed or counted twice.
 */
export async function installValueCounts(trx: Knex, table: CountedTable, countRowsOf: readonly CountedColumn[] = []): Promise<void> {
  if (!isPostgres(trx)) return;
  const counted = table.columns.filter((c) => RANKABLE_TYPES.includes(c.type)).map((c) => c.physical);
  const bucketed = table.columns.filter((c) => isBucketed(table, c));
  // Table ids and physical names are ours (digits, `c_<id>`), never user text.
  const quoted = (args: string[]) => [String(table.id), ...args].map((a) => `'${a}'`).join(', ');
  for (const { event, transition } of TRIGGERS) {
    const counts = `${table.physical}_count_${event}`;
    const buckets = `${table.physical}_bucket_${event}`;
    await trx.raw('drop trigger if exists ?? on ??', [counts, table.physical]);
    await trx.raw('drop trigger if exists ?? on ??', [buckets, table.physical]);
    await trx.raw(`create trigger ?? after ${event} on ?? referencing ${transition} for each statement execute function data_table_count_values(${quoted(counted)})`, [counts, table.physical]);
    if (bucketed.length === 0) continue;
    const args = quoted(bucketed.flatMap((c) => [c.type === 'number' ? 'n' : 'd', c.physical]));
    await trx.raw(`create trigger ?? after ${event} on ?? referencing ${transition} for each statement execute function data_table_count_buckets(${args})`, [buckets, table.physical]);
  }
  for (const column of countRowsOf) await trx.raw(`insert into data_table_value_buckets (table_id, column_name, buckets, counts) ${existingBucketsSql(table, column)}`);
}

/** Forgets a dropped table's counts; no-op on SQLite. */
export async function dropValueCounts(trx: Knex, tableId: number): Promise<void> {
  if (!isPostgres(trx)) return;
  await trx('data_table_value_counts').where({ table_id: tableId }).delete();
  await trx('data_table_value_buckets').where({ table_id: tableId }).delete();
}

/**
 * Counted per bucket (PostgreSQL): user columns of numbers or datetimes that lead an index, since
 * only there the count inside the subject's bucket is an index range. System columns are left out
 * (every insert would pay for them; their percentile still takes the smaller side).
 */
export function isBucketed(table: Pick<CountedTable, 'indexes'>, column: CountedColumn): boolean {
  if (column.system || (column.type !== 'number' && column.type !== 'datetime')) return false;
  return column.unique || table.indexes.some((index) => index.columns[0] === column.name);
}

/**
 * Fixed bucket boundaries, so the counts of every write simply add up. A number's bucket is the top 18
 * bits of its double (sign, exponent, 6 mantissa bits) made order-preserving: 64 buckets per doubling,
 * each 1.6 % or less of its values' size wide, for any magnitude or sign; -0 is 0. A datetime's
 * (epoch ms) is `floor(ms / 2^26)`, about 18.6 hours. The triggers compute the same (migration 0034).
 * `from` is the bucket's smallest value, `to` the next bucket's (exclusive), ±Infinity past the last double.
 */
export function bucketOf(type: string, value: number): { bucket: string; from: number; to: number } {
  if (type === 'datetime') {
    const bucket = Math.floor(value / DATETIME_BUCKET_MS);
    return { bucket: String(bucket), from: bucket * DATETIME_BUCKET_MS, to: (bucket + 1) * DATETIME_BUCKET_MS };
  }
  const bucket = sortableBits(value) >> NUMBER_BUCKET_SHIFT;
  return { bucket: String(bucket), from: fromSortableBits(bucket << NUMBER_BUCKET_SHIFT, -Infinity), to: fromSortableBits((bucket + 1n) << NUMBER_BUCKET_SHIFT, Infinity) };
}

const DATETIME_BUCKET_MS = 2 ** 26;
const NUMBER_BUCKET_SHIFT = 46n;
const SIGN_CLEARED = 0x7fffffffffffffffn;

/** A double's bits as a signed integer that orders as the doubles do (negatives' magnitude bits flipped). */
function sortableBits(value: number): bigint {
  const view = new DataView(new ArrayBuffer(8));
  view.setFloat64(0, value + 0);
  const bits = view.getBigInt64(0);
  return bits < 0n ? bits ^ SIGN_CLEARED : bits;
}

/** The double whose sortable bits these are; `beyond` where they lie past ±Infinity (no double there). */
function fromSortableBits(sortable: bigint, beyond: number): number {
  const bits = sortable < 0n ? sortable ^ SIGN_CLEARED : sortable;
  if (((bits >> 52n) & 0x7ffn) === 0x7ffn) return beyond;
  const view = new DataView(new ArrayBuffer(8));
  view.setBigInt64(0, bits);
  return view.getFloat64(0);
}

/** The trigger's bucket expression for a column (see bucketOf), for counting rows already there. */
function existingBucketsSql(table: CountedTable, column: CountedColumn): string {
  const c = `"${column.physical}"`;
  const bucket =
    column.type === 'number'
      ? `(select case when u >= 131072 then 131071 - u else u end from (select (get_byte(f, 0) << 10) | (get_byte(f, 1) << 2) | (get_byte(f, 2) >> 6) as u from (select float8send(${c} + 0::float8) as f) f) u)`
      : `${c} >> 26`;
  const counted = `select ${bucket} as b, count(*) as n from "${table.physical}" where ${c} is not null group by 1`;
  return `select ${table.id}, '${column.physical}', array_agg(b order by b), array_agg(n order by b) from (${counted}) x having count(*) > 0`;
}

/**
 * SQL for a column's kept bucket counts around the subject's bucket: `lower` (the buckets below it),
 * `inside` (its own), and `kept` (the delta rows summed, to fold).
 */
export function bucketCountSql(db: Knex, table: CountedTable, column: { physical: string }, bucket: string): Knex.Raw {
  return db.raw(
    `select coalesce(sum(n) filter (where b < ?), 0) as lower, coalesce(sum(n) filter (where b = ?), 0) as inside, count(distinct d.ctid) as kept
     from data_table_value_buckets d cross join lateral unnest(d.buckets, d.counts) as u(b, n) where d.table_id = ? and d.column_name = ?`,
    [bucket, bucket, table.id, column.physical],
  );
}

/** Folds a column's bucket delta rows into one when there are many (as foldValueCounts, bucket by bucket). */
export async function foldBucketCounts(db: Knex, table: CountedTable, column: { physical: string }, kept: number): Promise<void> {
  if (kept <= FOLD_AFTER_DELTAS) return;
  await db.raw(
    `with gone as (delete from data_table_value_buckets where table_id = ? and column_name = ? returning buckets, counts),
     summed as (select b, sum(n)::bigint as n from gone cross join lateral unnest(gone.buckets, gone.counts) as u(b, n) group by b having sum(n) <> 0)
     insert into data_table_value_buckets (table_id, column_name, buckets, counts) select ?, ?, array_agg(b order by b), array_agg(n order by b) from summed having count(*) > 0`,
    [table.id, column.physical, table.id, column.physical],
  );
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

import type { Knex } from 'knex';
import { z } from 'zod';
import { conflict, invalid, type FieldError } from '../platform/errors';
import { isPostgres, isUniqueViolation } from '../platform/db/database';
import { type Column, type DataTable, findColumn, userColumns } from './catalogue';
import { applyFilter, type Filter, filterSchema, resolveFilter } from './filters';
import { fromDbValue, parseValue, toDbValue, type ValueSource } from './values';

export const MAX_BATCH_ROWS = 10_000;
// Bound parameters per statement: SQLite allows 32,766, PostgreSQL 65,535.
const MAX_BINDINGS = 30_000;

const rowObjectSchema = z.record(z.string(), z.unknown()).meta({ id: 'DataTableRowInput', description: 'Column name → value' });
export const insertRowsSchema = z.object({ rows: z.array(rowObjectSchema).min(1).max(MAX_BATCH_ROWS) });
export const upsertRowsSchema = insertRowsSchema.extend({ keys: z.array(z.string().max(64)).min(1).max(8) });
const sortSchema = z.array(z.object({ column: z.string().max(64), direction: z.enum(['asc', 'desc']).default('asc') })).max(5);
export const queryRowsSchema = z.object({
  filter: filterSchema.optional(),
  sort: sortSchema.default([]),
  limit: z.number().int().min(1).max(1000).default(100),
  offset: z.number().int().min(0).optional(),
  cursor: z.string().max(4000).optional(),
});
export const updateRowsSchema = z.object({ filter: filterSchema.optional(), set: rowObjectSchema, all: z.boolean().default(false) });
export const deleteRowsSchema = z.object({ filter: filterSchema.optional(), all: z.boolean().default(false) });

/** Only catalogue identifiers (`dt_1_2`, `c_3`, `id`, …) ever reach SQL text; anything else is a bug. */
export function quoteIdentifier(identifier: string): string {
  if (!/^(dt_\d+_\d+|c_\d+|id|created_at|updated_at)$/.test(identifier)) throw new Error(`not a catalogue identifier: ${identifier}`);
  return `"${identifier}"`;
}

export type ApiRow = Record<string, unknown>;

export function toApiRow(table: DataTable, row: Record<string, unknown>): ApiRow {
  const result: ApiRow = {};
  for (const column of table.columns) result[column.name] = fromDbValue(column, row[column.physical]);
  return result;
}

interface ParseOptions {
  source: ValueSource;
  /** Columns left out stay as they are (update) instead of being null (insert). */
  partial?: boolean;
  /** Import files may carry id/createdAt/updatedAt from an export; they are ignored. */
  ignoreSystem?: boolean;
  path?: string;
}

/** Reads input rows into database rows keyed by physical column; every problem of every row is listed. */
export function parseRows(db: Knex, table: DataTable, rows: unknown[], options: ParseOptions): { rows: Array<Record<string, unknown>>; errors: FieldError[] } {
  const errors: FieldError[] = [];
  const shape = { byName: new Map(table.columns.map((c) => [c.name, c])), user: userColumns(table) };
  const parsed = rows.map((input, i) => {
    const at = `${options.path ?? 'rows'}.${i}`;
    if (typeof input !== 'object' || input === null || Array.isArray(input)) {
      errors.push({ path: at, message: 'must be an object of column → value' });
      return {};
    }
    return parseRow(db, shape, input as Record<string, unknown>, options, at, errors);
  });
  return { rows: parsed, errors };
}

function parseRow(db: Knex, shape: { byName: Map<string, Column>; user: Column[] }, input: Record<string, unknown>, options: ParseOptions, at: string, errors: FieldError[]) {
  const row: Record<string, unknown> = {};
  for (const key of Object.keys(input)) {
    const column = shape.byName.get(key);
    if (column?.system && options.ignoreSystem) continue;
    if (!column) errors.push({ path: `${at}.${key}`, message: 'unknown column' });
    else if (column.system) errors.push({ path: `${at}.${key}`, message: 'is set by the table itself' });
  }
  for (const column of shape.user) {
    const given = Object.hasOwn(input, column.name);
    if (options.partial && !given) continue;
    const parsed = parseValue(column, given ? input[column.name] : undefined, options.source);
    if (!parsed.ok) errors.push({ path: `${at}.${column.name}`, message: parsed.message });
    else row[column.physical] = toDbValue(db, column, parsed.value);
  }
  return row;
}

function uniqueConflict(table: DataTable): never {
  const unique = table.indexes.filter((index) => index.unique).map((index) => `(${index.columns.join(', ')})`);
  throw conflict(`A row with the same value already exists in a unique column or index: ${unique.join(', ')}`);
}

interface SqliteStatement {
  run(...bindings: unknown[]): { lastInsertRowid: number | bigint };
}

/**
 * SQLite: one prepared statement run once per row on the transaction's own connection — the fastest
 * way into SQLite (no SQL text to build or parse per batch), still inside the knex transaction.
 */
async function insertSqlite(trx: Knex.Transaction, table: DataTable, columns: string[], rows: Array<Record<string, unknown>>, now: number): Promise<number[]> {
  // Inside a transaction, knex's client hands out the transaction's own connection.
  const connection = (await (trx as unknown as { client: { acquireConnection(): Promise<{ prepare(sql: string): SqliteStatement }> } }).client.acquireConnection());
  const sql = `insert into ${quoteIdentifier(table.physical)} (${columns.map(quoteIdentifier).join(', ')}) values (${columns.map(() => '?').join(', ')})`;
  const statement = connection.prepare(sql);
  const values = new Array<unknown>(columns.length);
  values[0] = now;
  values[1] = now;
  return rows.map((row) => {
    for (let c = 2; c < columns.length; c++) values[c] = row[columns[c]] ?? null;
    return Number(statement.run(...values).lastInsertRowid);
  });
}

/** Inserts parsed rows inside `trx`; returns the new ids in order. PostgreSQL: multi-row INSERTs up to the parameter limit. */
export async function insertParsedRows(trx: Knex.Transaction, table: DataTable, rows: Array<Record<string, unknown>>, now: number): Promise<number[]> {
  const columns = ['created_at', 'updated_at', ...userColumns(table).map((c) => c.physical)];
  if (!isPostgres(trx)) return insertSqlite(trx, table, columns, rows, now);
  const perStatement = Math.max(1, Math.floor(MAX_BINDINGS / columns.length));
  const head = `insert into ${quoteIdentifier(table.physical)} (${columns.map(quoteIdentifier).join(', ')}) values `;
  const tuple = `(${columns.map(() => '?').join(', ')})`;
  const ids: number[] = [];
  for (let start = 0; start < rows.length; start += perStatement) {
    const chunk = rows.slice(start, start + perStatement);
    const bindings: unknown[] = [];
    for (const row of chunk) {
      bindings.push(now, now);
      for (let c = 2; c < columns.length; c++) bindings.push(row[columns[c]] ?? null);
    }
    const sql = `${head}${Array(chunk.length).fill(tuple).join(', ')} returning "id"`;
    const result = await trx.raw(sql, bindings as Knex.RawBinding[]);
    for (const { id } of result.rows as Array<{ id: number }>) ids.push(Number(id));
  }
  return ids;
}

export async function insertRows(db: Knex, table: DataTable, input: unknown[], now: number): Promise<number[]> {
  const { rows, errors } = parseRows(db, table, input, { source: 'json' });
  if (errors.length > 0) throw invalid('Invalid rows', errors);
  try {
    return await db.transaction((trx) => insertParsedRows(trx, table, rows, now));
  } catch (error) {
    if (isUniqueViolation(error)) uniqueConflict(table);
    throw error;
  }
}

function keyColumns(table: DataTable, keys: string[]): Column[] {
  const errors: FieldError[] = [];
  const columns = keys.map((key, i) => {
    const column = findColumn(table, key);
    if (!column || column.system) errors.push({ path: `keys.${i}`, message: `unknown column "${key}"` });
    return column!;
  });
  if (errors.length > 0) throw invalid('Invalid upsert keys', errors);
  const wanted = [...keys].sort().join('\u0000');
  const index = table.indexes.find((i) => i.unique && [...i.columns].sort().join('\u0000') === wanted);
  if (!index) {
    throw conflict(
      `Upsert by (${keys.join(', ')}) needs a unique index on exactly these columns. Declare one: POST …/tables/${table.name}/indexes {"columns": ${JSON.stringify(keys)}, "unique": true}`,
    );
  }
  return columns;
}

/**
 * Insert-or-update by a unique key set (ON CONFLICT … DO UPDATE on both dialects). A row updates only the
 * columns it names; a key repeated within one batch: the last row wins.
 */
export async function upsertRows(db: Knex, table: DataTable, keys: string[], input: unknown[], now: number): Promise<number> {
  const keyCols = keyColumns(table, keys).map((c) => c.physical);
  const errors: FieldError[] = [];
  const byKey = new Map<string, { row: Record<string, unknown>; given: string[] }>();
  input.forEach((raw, i) => {
    const { rows, errors: rowErrors } = parseRows(db, table, [raw], { source: 'json', partial: true, path: 'rows' });
    rowErrors.forEach((e) => errors.push({ ...e, path: e.path.replace(/^rows\.0/, `rows.${i}`) }));
    const given = userColumns(table).filter((c) => Object.hasOwn(raw as object, c.name)).map((c) => c.physical);
    const missing = userColumns(table).filter((c) => !c.nullable && !given.includes(c.physical));
    missing.forEach((c) => errors.push({ path: `rows.${i}.${c.name}`, message: 'is required' }));
    keys.forEach((key, k) => rows[0][keyCols[k]] == null && errors.push({ path: `rows.${i}.${key}`, message: 'a key column must have a value' }));
    byKey.set(JSON.stringify(keyCols.map((k) => rows[0][k])), { row: rows[0], given });
  });
  if (errors.length > 0) throw invalid('Invalid rows', errors);
  // Rows naming the same columns share one statement; each updates only what it names.
  const groups = new Map<string, Array<Record<string, unknown>>>();
  for (const { row, given } of byKey.values()) {
    const signature = given.sort().join(',');
    groups.set(signature, [...(groups.get(signature) ?? []), row]);
  }
  try {
    await db.transaction(async (trx) => {
      for (const [signature, rows] of groups) {
        const given = signature.split(',');
        const update = given.filter((c) => !keyCols.includes(c));
        const perStatement = Math.max(1, Math.floor(MAX_BINDINGS / (given.length + 2)));
        for (let start = 0; start < rows.length; start += perStatement) {
          const chunk = rows.slice(start, start + perStatement).map((row) => ({ ...row, created_at: now, updated_at: now }));
          await trx(table.physical).insert(chunk).onConflict(keyCols).merge([...update, 'updated_at']);
        }
      }
    });
  } catch (error) {
    if (isUniqueViolation(error)) uniqueConflict(table);
    throw error;
  }
  return byKey.size;
}

const cursorValue = z.union([z.string().max(70_000).refine((s) => !s.includes('\u0000')), z.number(), z.boolean(), z.null()]);
const cursorSchema = z.object({ s: z.string(), v: z.array(cursorValue).max(5), id: z.number().int() });
type Cursor = z.output<typeof cursorSchema>;
type SortKey = { column: Column; direction: 'asc' | 'desc' };

function encodeCursor(cursor: Cursor): string {
  return Buffer.from(JSON.stringify(cursor)).toString('base64url');
}

function decodeCursor(text: string, signature: string, keyCount: number): Cursor {
  try {
    const cursor = cursorSchema.parse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    if (cursor.s === signature && cursor.v.length === keyCount) return cursor;
  } catch {
    // reported below
  }
  throw invalid('Invalid cursor', [{ path: 'cursor', message: 'is not a cursor of this query (the sort must stay the same)' }]);
}

function resolveSort(table: DataTable, sort: z.output<typeof sortSchema>): SortKey[] {
  const errors: FieldError[] = [];
  const keys = sort.map((s, i) => {
    const column = findColumn(table, s.column);
    if (!column) errors.push({ path: `sort.${i}.column`, message: `unknown column "${s.column}"` });
    else if (column.type === 'json') errors.push({ path: `sort.${i}.column`, message: 'json columns cannot be sorted' });
    return { column: column!, direction: s.direction };
  });
  if (errors.length > 0) throw invalid('Invalid sort', errors);
  return keys.filter((k) => k.column.physical !== 'id');
}

/**
 * Empty cells sort as the smallest value on both dialects (SQLite's native order; PostgreSQL is told
 * NULLS FIRST/LAST), and `id` ascending breaks ties, so keyset cursors are exact.
 */
function orderBy(db: Knex, qb: Knex.QueryBuilder, keys: SortKey[]): void {
  for (const { column, direction } of keys) {
    if (isPostgres(db)) qb.orderBy(column.physical, direction, direction === 'asc' ? 'first' : 'last');
    else qb.orderBy(column.physical, direction);
  }
  qb.orderBy('id', 'asc');
}

/** Rows strictly after the cursor in (keys…, id) order. */
function afterCursor(qb: Knex.QueryBuilder, keys: SortKey[], cursor: Cursor): void {
  qb.where((outer) => {
    for (let i = 0; i <= keys.length; i++) {
      const value = cursor.v[i];
      if (i < keys.length && keys[i].direction === 'desc' && value === null) continue;
      outer.orWhere((q) => {
        for (let j = 0; j < i; j++) {
          if (cursor.v[j] === null) q.whereNull(keys[j].column.physical);
          else q.where(keys[j].column.physical, cursor.v[j] as Knex.Value);
        }
        if (i === keys.length) return void q.where('id', '>', cursor.id);
        const name = keys[i].column.physical;
        if (keys[i].direction === 'desc') q.where((d) => d.where(name, '<', value as Knex.Value).orWhereNull(name));
        else if (value === null) q.whereNotNull(name);
        else q.where(name, '>', value as Knex.Value);
      });
    }
  });
}

export async function queryRows(db: Knex, table: DataTable, input: z.output<typeof queryRowsSchema>): Promise<{ rows: ApiRow[]; nextCursor: string | null }> {
  if (input.cursor && input.offset !== undefined) throw invalid('Use either offset or cursor', [{ path: 'cursor', message: 'cannot be combined with offset' }]);
  const filter = resolveFilter(db, table, input.filter);
  const keys = resolveSort(table, input.sort);
  const signature = keys.map((k) => `${k.column.name}:${k.direction}`).join(',');
  const qb = db(table.physical).select('*');
  applyFilter(db, qb, filter);
  if (input.cursor) afterCursor(qb, keys, decodeCursor(input.cursor, signature, keys.length));
  orderBy(db, qb, keys);
  qb.limit(input.limit + 1);
  if (input.offset) qb.offset(input.offset);
  const found = (await qb) as Array<Record<string, unknown>>;
  const page = found.slice(0, input.limit);
  const last = page[page.length - 1];
  const nextCursor =
    found.length > input.limit && last
      ? encodeCursor({ s: signature, v: keys.map((k) => normalizeKey(last[k.column.physical])), id: Number(last.id) })
      : null;
  return { rows: page.map((row) => toApiRow(table, row)), nextCursor };
}

function normalizeKey(value: unknown): string | number | boolean | null {
  if (value === null || value === undefined) return null;
  return typeof value === 'string' || typeof value === 'boolean' ? value : Number(value);
}

function requireScope(filter: Filter | undefined, all: boolean, action: string): void {
  if (all || (filter && filter.conditions.length > 0)) return;
  throw invalid(`A filter is required to ${action} rows`, [{ path: 'filter', message: `give at least one condition, or "all": true to ${action} every row` }]);
}

export async function updateRows(db: Knex, table: DataTable, input: z.output<typeof updateRowsSchema>, now: number): Promise<number> {
  requireScope(input.filter, input.all, 'update');
  const filter = resolveFilter(db, table, input.filter);
  const { rows, errors } = parseRows(db, table, [input.set], { source: 'json', partial: true, path: 'set' });
  if (errors.length > 0) throw invalid('Invalid values', errors.map((e) => ({ ...e, path: e.path.replace(/^set\.0/, 'set') })));
  if (Object.keys(rows[0]).length === 0) throw invalid('Nothing to set', [{ path: 'set', message: 'name at least one column' }]);
  const qb = db(table.physical);
  applyFilter(db, qb, filter);
  try {
    return Number(await qb.update({ ...rows[0], updated_at: now }));
  } catch (error) {
    if (isUniqueViolation(error)) uniqueConflict(table);
    throw error;
  }
}

export async function deleteRows(db: Knex, table: DataTable, input: z.output<typeof deleteRowsSchema>): Promise<number> {
  requireScope(input.filter, input.all, 'delete');
  const filter = resolveFilter(db, table, input.filter);
  const qb = db(table.physical);
  applyFilter(db, qb, filter);
  return Number(await qb.delete());
}

export async function getRow(db: Knex, table: DataTable, id: number): Promise<ApiRow | undefined> {
  const row = (await db(table.physical).where({ id }).first()) as Record<string, unknown> | undefined;
  return row ? toApiRow(table, row) : undefined;
}

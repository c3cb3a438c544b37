import type { Knex } from 'knex';
import { z } from 'zod';
import type { AppContext } from '../platform/context';
import { conflict, invalid, notFound, type FieldError } from '../platform/errors';
import { fromJson, isUniqueViolation, toJson } from '../platform/db/database';
import { dropValueCounts, installValueCounts, isBucketed } from './value-counts';
import {
  COLUMN_TYPES,
  type ColumnType,
  columnNameSchema,
  physicalColumnName,
  physicalTableName,
  tableNameSchema,
} from './names';

export const MAX_TABLES_PER_BOT = 200;
export const MAX_COLUMNS = 200;
const MAX_INDEXES = 32;

export const columnInputSchema = z
  .object({
    name: columnNameSchema,
    type: z.enum(COLUMN_TYPES),
    nullable: z.boolean().default(true),
    unique: z.boolean().default(false),
  })
  .meta({ id: 'DataTableColumnInput' });

const indexColumnsSchema = z.array(z.string().max(64)).min(1).max(8);
export const indexInputSchema = z
  .union([indexColumnsSchema, z.object({ columns: indexColumnsSchema, unique: z.boolean().default(false) })])
  .transform((index) => (Array.isArray(index) ? { columns: index, unique: false } : index))
  .meta({ id: 'DataTableIndexInput', description: 'Column names (an index), or `{columns, unique}`' });

export const createTableSchema = z.object({
  name: tableNameSchema,
  columns: z.array(columnInputSchema).min(1).max(MAX_COLUMNS),
  indexes: z.array(indexInputSchema).max(MAX_INDEXES).default([]),
});
export type CreateTableInput = z.output<typeof createTableSchema>;
export type IndexInput = z.output<typeof indexInputSchema>;

/** A column as the row code sees it: user columns and the three system columns alike. */
export interface Column {
  name: string;
  type: ColumnType;
  nullable: boolean;
  unique: boolean;
  /** The SQL identifier: `c_<id>` for user columns, `id`/`created_at`/`updated_at` for system ones. */
  physical: string;
  system: boolean;
}

export interface TableIndex {
  columns: string[];
  unique: boolean;
  physical: string;
}

export interface DataTable {
  id: number;
  botId: number;
  name: string;
  physical: string;
  columns: Column[];
  indexes: TableIndex[];
  createdAt: number;
  updatedAt: number;
}

const SYSTEM: Column[] = [
  { name: 'id', type: 'number', nullable: false, unique: true, physical: 'id', system: true },
  { name: 'createdAt', type: 'datetime', nullable: false, unique: false, physical: 'created_at', system: true },
  { name: 'updatedAt', type: 'datetime', nullable: false, unique: false, physical: 'updated_at', system: true },
];

interface TableRow {
  id: number;
  bot_id: number;
  name: string;
  physical_name: string;
  indexes: string;
  created_at: number;
  updated_at: number;
}

interface ColumnRow {
  id: number;
  table_id: number;
  name: string;
  type: ColumnType;
  nullable: boolean | number;
  unique: boolean | number;
  position: number;
}

function toColumn(row: ColumnRow): Column {
  return { name: row.name, type: row.type, nullable: Boolean(row.nullable), unique: Boolean(row.unique), physical: physicalColumnName(row.id), system: false };
}

function toTable(row: TableRow, columns: ColumnRow[]): DataTable {
  return {
    id: row.id,
    botId: row.bot_id,
    name: row.name,
    physical: row.physical_name,
    columns: [...SYSTEM, ...columns.sort((a, b) => a.position - b.position).map(toColumn)],
    indexes: fromJson<TableIndex[]>(row.indexes),
    createdAt: row.created_at,
    updatedAt: row.updated_at,
  };
}

/** The column called `name`, or undefined. */
export function findColumn(table: DataTable, name: string): Column | undefined {
  return table.columns.find((column) => column.name === name);
}

export const userColumns = (table: DataTable) => table.columns.filter((column) => !column.system);

/** The public description of a table (no physical names). */
export function describeTable(table: DataTable) {
  return {
    name: table.name,
    columns: table.columns.map(({ name, type, nullable, unique, system }) => ({ name, type, nullable, unique, system })),
    indexes: table.indexes.map(({ columns, unique }) => ({ columns, unique })),
    createdAt: new Date(table.createdAt).toISOString(),
    updatedAt: new Date(table.updatedAt).toISOString(),
  };
}

export async function loadTable(db: Knex, botId: number, name: string): Promise<DataTable> {
  if (!tableNameSchema.safeParse(name).success) throw notFound(`No table named "${name.slice(0, 64)}"`);
  const row = (await db<TableRow>('data_tables').where({ bot_id: botId, name }).first()) as TableRow | undefined;
  if (!row) throw notFound(`No table named "${name}"`);
  const columns = (await db<ColumnRow>('data_table_columns').where({ table_id: row.id })) as ColumnRow[];
  return toTable(row, columns);
}

export async function listTables(ctx: AppContext, botId: number): Promise<DataTable[]> {
  const rows = (await ctx.db<TableRow>('data_tables').where({ bot_id: botId }).orderBy('name')) as TableRow[];
  if (rows.length === 0) return [];
  const columns = (await ctx.db<ColumnRow>('data_table_columns').whereIn('table_id', rows.map((r) => r.id))) as ColumnRow[];
  return rows.map((row) => toTable(row, columns.filter((c) => c.table_id === row.id)));
}

function checkColumnSet(columns: Array<{ name: string }>, existing: Column[] = []): FieldError[] {
  const seen = new Set(existing.map((c) => c.name.toLowerCase()));
  const errors: FieldError[] = [];
  columns.forEach((column, i) => {
    const key = column.name.toLowerCase();
    if (seen.has(key)) errors.push({ path: `columns.${i}.name`, message: `duplicate column name "${column.name}"` });
    seen.add(key);
  });
  return errors;
}

function checkIndexes(indexes: IndexInput[], columns: Array<{ name: string; type: ColumnType }>, path = 'indexes'): FieldError[] {
  const errors: FieldError[] = [];
  const known = new Map(columns.map((c) => [c.name, c.type]));
  indexes.forEach((index, i) => {
    index.columns.forEach((name, j) => {
      const type = known.get(name);
      if (!type) errors.push({ path: `${path}.${i}.${j}`, message: `unknown column "${name}"` });
      else if (type === 'json') errors.push({ path: `${path}.${i}.${j}`, message: 'json columns cannot be indexed' });
    });
    if (new Set(index.columns).size !== index.columns.length) errors.push({ path: `${path}.${i}`, message: 'a column appears twice' });
  });
  return errors;
}

function addPhysicalColumn(t: Knex.CreateTableBuilder, column: Column): void {
  const name = column.physical;
  switch (column.type) {
    case 'string':
    case 'json':
      t.text(name).nullable();
      return;
    case 'number':
      t.double(name).nullable();
      return;
    case 'boolean':
      t.boolean(name).nullable();
      return;
    case 'datetime':
      t.bigInteger(name).nullable();
      return;
  }
}

async function insertColumns(trx: Knex, tableId: number, inputs: z.output<typeof columnInputSchema>[], firstPosition: number, now: number): Promise<Column[]> {
  const created: Column[] = [];
  for (const [i, input] of inputs.entries()) {
    const [row] = (await trx('data_table_columns')
      .insert({ table_id: tableId, name: input.name, type: input.type, nullable: input.nullable, unique: input.unique, position: firstPosition + i, created_at: now })
      .returning('*')) as ColumnRow[];
    created.push(toColumn(row));
  }
  return created;
}

function physicalIndex(table: Pick<DataTable, 'physical' | 'columns'>, index: IndexInput, physicalName: string): TableIndex & { physicalColumns: string[] } {
  const physicalColumns = index.columns.map((name) => table.columns.find((c) => c.name === name)!.physical);
  return { columns: index.columns, unique: index.unique, physical: physicalName, physicalColumns };
}

async function createIndexes(trx: Knex, table: Pick<DataTable, 'physical' | 'columns'>, indexes: Array<TableIndex & { physicalColumns: string[] }>): Promise<void> {
  if (indexes.length === 0) return;
  await trx.schema.alterTable(table.physical, (t) => {
    for (const index of indexes) {
      if (index.unique) t.unique(index.physicalColumns, { indexName: index.physical });
      else t.index(index.physicalColumns, index.physical);
    }
  });
}

/** Unique columns are unique indexes of one column; they are listed with the declared indexes. */
function indexesFor(table: Pick<DataTable, 'physical' | 'columns'>, declared: IndexInput[], newColumns: Column[], start: number) {
  const fromColumns = newColumns.filter((c) => c.unique).map((c) => ({ columns: [c.name], unique: true }));
  return [...fromColumns, ...declared].map((index, i) => physicalIndex(table, index, `${table.physical}_i${start + i}`));
}

export async function createTable(ctx: AppContext, botId: number, input: CreateTableInput): Promise<DataTable> {
  const errors = [...checkColumnSet(input.columns), ...checkIndexes(input.indexes, [...SYSTEM, ...input.columns])];
  if (errors.length > 0) throw invalid('Invalid table definition', errors);
  const now = ctx.clock.now();
  try {
    const tableId = await ctx.db.transaction(async (trx) => {
      const count = await trx('data_tables').where({ bot_id: botId }).count({ n: '*' }).first();
      if (Number(count?.n) >= MAX_TABLES_PER_BOT) throw conflict(`A bot can have at most ${MAX_TABLES_PER_BOT} tables`);
      const [row] = (await trx('data_tables')
        .insert({ bot_id: botId, name: input.name, indexes: '[]', created_at: now, updated_at: now })
        .returning('*')) as TableRow[];
      const physical = physicalTableName(botId, row.id);
      const columns = await insertColumns(trx, row.id, input.columns, 1, now);
      await trx.schema.createTable(physical, (t) => {
        t.bigIncrements('id').primary();
        t.bigInteger('created_at').notNullable();
        t.bigInteger('updated_at').notNullable();
        for (const column of columns) addPhysicalColumn(t, column);
        t.index(['created_at'], `${physical}_created`);
      });
      const shape = { physical, columns: [...SYSTEM, ...columns] };
      const indexes = indexesFor(shape, input.indexes, columns, 1);
      await createIndexes(trx, shape, indexes);
      await installValueCounts(trx, { id: row.id, ...shape, indexes });
      await trx('data_tables')
        .where({ id: row.id })
        .update({ physical_name: physical, indexes: toJson(indexes.map(({ columns: c, unique, physical: p }) => ({ columns: c, unique, physical: p }))) });
      return row.id;
    });
    return loadTableById(ctx.db, tableId);
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`A table named "${input.name}" already exists`);
    throw error;
  }
}

async function loadTableById(db: Knex, id: number): Promise<DataTable> {
  const row = (await db<TableRow>('data_tables').where({ id }).first()) as TableRow;
  const columns = (await db<ColumnRow>('data_table_columns').where({ table_id: id })) as ColumnRow[];
  return toTable(row, columns);
}

export const addColumnSchema = columnInputSchema;

export async function addColumn(ctx: AppContext, botId: number, tableName: string, input: z.output<typeof columnInputSchema>): Promise<DataTable> {
  const table = await loadTable(ctx.db, botId, tableName);
  const errors = checkColumnSet([input], table.columns).map((e) => ({ ...e, path: 'name' }));
  if (errors.length > 0) throw conflict(`Column "${input.name}" already exists`);
  if (userColumns(table).length >= MAX_COLUMNS) throw conflict(`A table can have at most ${MAX_COLUMNS} columns`);
  const now = ctx.clock.now();
  await ctx.db.transaction(async (trx) => {
    if (!input.nullable && (await trx(table.physical).first('id'))) {
      throw conflict('A required (nullable: false) column can only be added to an empty table');
    }
    const position = Math.max(0, ...(await trx('data_table_columns').where({ table_id: table.id }).pluck('position'))) + 1;
    const [column] = await insertColumns(trx, table.id, [input], position, now);
    await trx.schema.alterTable(table.physical, (t) => addPhysicalColumn(t as Knex.CreateTableBuilder, column));
    const shape = { physical: table.physical, columns: [...table.columns, column] };
    const indexes = indexesFor(shape, [], [column], nextIndexNumber(table));
    await createIndexes(trx, shape, indexes);
    // The new column is empty in every row: its counts start at zero and the triggers now count it too.
    await installValueCounts(trx, { id: table.id, ...shape, indexes: [...table.indexes, ...indexes] });
    await saveIndexes(trx, table, indexes, now);
  });
  return loadTableById(ctx.db, table.id);
}

function nextIndexNumber(table: DataTable): number {
  const numbers = table.indexes.map((index) => Number(/_i(\d+)$/.exec(index.physical)?.[1] ?? 0));
  return Math.max(0, ...numbers) + 1;
}

async function saveIndexes(trx: Knex, table: DataTable, added: TableIndex[], now: number): Promise<void> {
  const all = [...table.indexes, ...added.map(({ columns, unique, physical }) => ({ columns, unique, physical }))];
  await trx('data_tables').where({ id: table.id }).update({ indexes: toJson(all), updated_at: now });
}

export async function addIndex(ctx: AppContext, botId: number, tableName: string, input: IndexInput): Promise<DataTable> {
  const table = await loadTable(ctx.db, botId, tableName);
  const errors = checkIndexes([input], table.columns, 'index').map((e) => ({ ...e, path: e.path.replace(/^index\.0\./, 'columns.') }));
  if (errors.length > 0) throw invalid('Invalid index', errors);
  const same = table.indexes.find((index) => index.unique === input.unique && index.columns.join('\u0000') === input.columns.join('\u0000'));
  if (same) return table;
  if (table.indexes.length >= MAX_INDEXES) throw conflict(`A table can have at most ${MAX_INDEXES} indexes`);
  const index = physicalIndex(table, input, `${table.physical}_i${nextIndexNumber(table)}`);
  try {
    await ctx.db.transaction(async (trx) => {
      await createIndexes(trx, table, [index]);
      // A number or datetime column that now leads an index starts being counted per bucket.
      const indexed = { ...table, indexes: [...table.indexes, index] };
      const newlyBucketed = table.columns.filter((column) => isBucketed(indexed, column) && !isBucketed(table, column));
      if (newlyBucketed.length > 0) await installValueCounts(trx, indexed, newlyBucketed);
      await saveIndexes(trx, table, [index], ctx.clock.now());
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`Rows already repeat values of (${input.columns.join(', ')}); the unique index cannot be created`);
    throw error;
  }
  return loadTableById(ctx.db, table.id);
}

export const renameTableSchema = z.object({ newName: tableNameSchema });

export async function renameTable(ctx: AppContext, botId: number, name: string, newName: string): Promise<DataTable> {
  const table = await loadTable(ctx.db, botId, name);
  try {
    await ctx.db('data_tables').where({ id: table.id }).update({ name: newName, updated_at: ctx.clock.now() });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict(`A table named "${newName}" already exists`);
    throw error;
  }
  return loadTableById(ctx.db, table.id);
}

export async function deleteTable(ctx: AppContext, botId: number, name: string): Promise<void> {
  const table = await loadTable(ctx.db, botId, name);
  await ctx.db.transaction(async (trx) => {
    await trx('data_table_columns').where({ table_id: table.id }).delete();
    await trx('data_tables').where({ id: table.id }).delete();
    await trx.schema.dropTableIfExists(table.physical);
    await dropValueCounts(trx, table.id);
  });
}

import type { Knex } from 'knex';
import { z } from 'zod';
import { invalid, notFound, type FieldError } from '../platform/errors';
import { isPostgres } from '../platform/db/database';
import { type Column, type DataTable, findColumn } from './catalogue';
import { applyFilter, filterSchema, resolveFilter } from './filters';
import { columnNameSchema } from './names';
import { type ApiRow, toApiRow } from './rows';
import { type TimeWindow, windowBounds, windowSchema } from './time-window';
import { fromDbValue, parseValue, toDbValue } from './values';
import { bucketCountSql, bucketOf, foldBucketCounts, foldValueCounts, isBucketed, RANKABLE_TYPES, valueCountSql } from './value-counts';

export const AGGREGATE_FNS = ['count', 'sum', 'avg', 'min', 'max'] as const;
type AggregateFn = (typeof AGGREGATE_FNS)[number];

const columnRef = z.string().max(64);
const groupBySchema = z.array(columnRef).min(1).max(5);
const scopeFields = { filter: filterSchema.optional(), window: windowSchema.optional() };

export const topSchema = z.object({
  column: columnRef,
  n: z.number().int().min(1).max(1000).default(10),
  direction: z.enum(['asc', 'desc']).default('desc'),
  groupBy: groupBySchema.optional().meta({ description: 'Without `fn`: the top `n` rows of each group. With `fn`: the top `n` groups by fn(column).' }),
  fn: z.enum(AGGREGATE_FNS).optional(),
  ...scopeFields,
});

export const aggregateSchema = z.object({
  aggregates: z.array(z.object({ fn: z.enum(AGGREGATE_FNS), column: columnRef.optional(), as: columnNameSchema.optional() })).min(1).max(20),
  groupBy: groupBySchema.optional(),
  sort: z.array(z.object({ by: z.string().max(64), direction: z.enum(['asc', 'desc']).default('asc') })).max(5).default([]),
  limit: z.number().int().min(1).max(10_000).default(1000),
  ...scopeFields,
});

export const percentileSchema = z.object({
  column: columnRef,
  fn: z.enum(AGGREGATE_FNS).optional().meta({ description: 'With groupBy: what each group totals (default sum)' }),
  groupBy: groupBySchema.optional(),
  value: z.union([z.number(), z.string().max(40)]).optional(),
  rowId: z.number().int().positive().optional(),
  group: z.record(z.string(), z.unknown()).optional().meta({ description: 'With groupBy: the group whose total is ranked' }),
  ...scopeFields,
});

interface StatsContext {
  db: Knex;
  table: DataTable;
  now: number;
  /** The bot's time zone, used when the window names none. */
  timeZone: string;
}

function columnOrFail(table: DataTable, name: string, path: string, errors: FieldError[]): Column {
  const column = findColumn(table, name);
  if (!column) errors.push({ path, message: `unknown column "${name}"` });
  return column!;
}

function throwIfAny(errors: FieldError[], message: string): void {
  if (errors.length > 0) throw invalid(message, errors);
}

const FN_TYPES: Record<AggregateFn, Array<Column['type']>> = {
  count: ['string', 'number', 'boolean', 'datetime', 'json'],
  sum: ['number'],
  avg: ['number'],
  min: ['number', 'datetime', 'string'],
  max: ['number', 'datetime', 'string'],
};

function checkFn(fn: AggregateFn, column: Column | undefined, path: string, errors: FieldError[]): void {
  if (column && !FN_TYPES[fn].includes(column.type)) errors.push({ path, message: `${fn} does not apply to a ${column.type} column` });
}

/** The filter and the time window as WHERE clauses on a fresh query of the table. */
function scopedQuery(sc: StatsContext, input: { filter?: z.output<typeof filterSchema>; window?: TimeWindow }): Knex.QueryBuilder {
  const filter = resolveFilter(sc.db, sc.table, input.filter);
  const qb = sc.db(sc.table.physical);
  applyFilter(sc.db, qb, filter);
  if (input.window) {
    const column = findColumn(sc.table, input.window.column);
    if (!column || column.type !== 'datetime') throw invalid('Invalid window', [{ path: 'window.column', message: 'must be a datetime column' }]);
    const { from, to } = windowBounds(input.window, sc.now, input.window.timezone ?? sc.timeZone);
    qb.where(column.physical, '>=', from).where(column.physical, '<', to);
  }
  return qb;
}

const aggregateSql = (db: Knex, fn: AggregateFn, column: Column | undefined, alias: string) =>
  db.raw(`${fn}(${column ? '??' : '*'}) as ??`, column ? [column.physical, alias] : [alias]);

/** Competition rank ("1, 2, 2, 4") over a list already in ranking order. */
function withRanks<T>(items: T[], valueOf: (item: T) => unknown): Array<T & { rank: number; position: number }> {
  let rank = 0;
  return items.map((item, i) => {
    if (i === 0 || valueOf(item) !== valueOf(items[i - 1])) rank = i + 1;
    return { ...item, rank, position: i + 1 };
  });
}

function orderDirection(db: Knex, qb: Knex.QueryBuilder, name: string, direction: 'asc' | 'desc'): void {
  if (isPostgres(db)) qb.orderBy(name, direction, direction === 'asc' ? 'first' : 'last');
  else qb.orderBy(name, direction);
}

/**
 * TOP-N. Ties: equal values keep `id` order (earlier rows first) and share a competition `rank`;
 * exactly `n` rows (or groups) come back. Empty values never rank.
 */
export async function top(sc: StatsContext, input: z.output<typeof topSchema>): Promise<{ rows: Array<Record<string, unknown>> }> {
  const errors: FieldError[] = [];
  const column = columnOrFail(sc.table, input.column, 'column', errors);
  const groups = (input.groupBy ?? []).map((name, i) => columnOrFail(sc.table, name, `groupBy.${i}`, errors));
  if (input.fn) checkFn(input.fn, column, 'column', errors);
  else if (column && !RANKABLE_TYPES.includes(column.type)) errors.push({ path: 'column', message: `a ${column.type} column cannot be ranked` });
  if (input.fn && groups.length === 0) errors.push({ path: 'groupBy', message: 'fn ranks groups: give groupBy' });
  throwIfAny(errors, 'Invalid top request');
  if (input.fn) return { rows: await topGroups(sc, input, column, groups, input.fn) };
  const qb = scopedQuery(sc, input).whereNotNull(column.physical);
  if (groups.length === 0) {
    qb.select('*');
    orderDirection(sc.db, qb, column.physical, input.direction);
    const rows = (await qb.orderBy('id', 'asc').limit(input.n)) as Array<Record<string, unknown>>;
    return { rows: withRanks(rows.map((row) => toApiRow(sc.table, row)), (row) => row[column.name]) };
  }
  return { rows: await topPerGroup(sc, qb, input, column, groups) };
}

async function topPerGroup(sc: StatsContext, qb: Knex.QueryBuilder, input: z.output<typeof topSchema>, column: Column, groups: Column[]) {
  const nulls = isPostgres(sc.db) ? (input.direction === 'asc' ? ' nulls first' : ' nulls last') : '';
  const partition = groups.map(() => '??').join(', ');
  qb.select('*', sc.db.raw(`row_number() over (partition by ${partition} order by ?? ${input.direction}${nulls}, "id" asc) as "position_in_group"`, [...groups.map((g) => g.physical), column.physical]));
  const outer = sc.db.select('*').from(qb.as('ranked')).where('position_in_group', '<=', input.n);
  for (const group of groups) outer.orderBy(group.physical, 'asc');
  const rows = (await outer.orderBy('position_in_group', 'asc')) as Array<Record<string, unknown>>;
  const key = (row: Record<string, unknown>) => JSON.stringify(groups.map((g) => row[g.physical]));
  const byGroup = new Map<string, ApiRow[]>();
  for (const row of rows) byGroup.set(key(row), [...(byGroup.get(key(row)) ?? []), toApiRow(sc.table, row)]);
  return [...byGroup.values()].flatMap((list) => withRanks(list, (row) => row[column.name]));
}

/** Each group's fn(column), as `value`; groups with no value in the column are left out. */
function groupTotals(sc: StatsContext, input: { filter?: z.output<typeof filterSchema>; window?: TimeWindow }, column: Column, groups: Column[], fn: AggregateFn) {
  const qb = scopedQuery(sc, input);
  qb.select(groups.map((g, i) => `${g.physical} as g${i}`));
  qb.select(aggregateSql(sc.db, fn, column, 'value'));
  qb.groupBy(groups.map((g) => g.physical));
  qb.havingRaw('count(??) > 0', [column.physical]);
  return qb;
}

const groupValues = (groups: Column[], row: Record<string, unknown>) => Object.fromEntries(groups.map((g, i) => [g.name, fromDbValue(g, row[`g${i}`])]));

function totalToApi(fn: AggregateFn, column: Column, value: unknown): unknown {
  if (value === null || value === undefined) return null;
  return fn === 'min' || fn === 'max' ? fromDbValue(column, value) : Number(value);
}

async function topGroups(sc: StatsContext, input: z.output<typeof topSchema>, column: Column, groups: Column[], fn: AggregateFn) {
  const qb = groupTotals(sc, input, column, groups, fn);
  orderDirection(sc.db, qb, 'value', input.direction);
  groups.forEach((_g, i) => qb.orderBy(`g${i}`, 'asc'));
  const rows = (await qb.limit(input.n)) as Array<Record<string, unknown>>;
  return withRanks(
    rows.map((row) => ({ ...groupValues(groups, row), value: totalToApi(fn, column, row.value) })),
    (row) => row.value,
  );
}

/** count/sum/avg/min/max, optionally grouped; each result named `as`, or fn_column (`count` for count(*)). */
export async function aggregate(sc: StatsContext, input: z.output<typeof aggregateSchema>): Promise<{ rows: Array<Record<string, unknown>> }> {
  const errors: FieldError[] = [];
  const groups = (input.groupBy ?? []).map((name, i) => columnOrFail(sc.table, name, `groupBy.${i}`, errors));
  const measures = input.aggregates.map((a, i) => {
    if (!a.column && a.fn !== 'count') errors.push({ path: `aggregates.${i}.column`, message: `${a.fn} needs a column` });
    const column = a.column ? columnOrFail(sc.table, a.column, `aggregates.${i}.column`, errors) : undefined;
    checkFn(a.fn, column, `aggregates.${i}.column`, errors);
    return { fn: a.fn, column, name: a.as ?? (a.column ? `${a.fn}_${a.column}` : a.fn) };
  });
  const names = [...groups.map((g) => g?.name), ...measures.map((m) => m.name)];
  names.forEach((name, i) => names.indexOf(name) !== i && errors.push({ path: 'aggregates', message: `two results are named "${name}"; use "as"` }));
  const sortKeys = input.sort.map((s, i) => {
    const at = names.indexOf(s.by);
    if (at < 0) errors.push({ path: `sort.${i}.by`, message: `"${s.by}" is neither a groupBy column nor an aggregate name` });
    return { alias: at < groups.length ? `g${at}` : `a${at - groups.length}`, direction: s.direction };
  });
  throwIfAny(errors, 'Invalid aggregate request');

  const qb = scopedQuery(sc, input);
  groups.forEach((g, i) => qb.select(`${g.physical} as g${i}`));
  measures.forEach((m, i) => qb.select(aggregateSql(sc.db, m.fn, m.column, `a${i}`)));
  if (groups.length > 0) qb.groupBy(groups.map((g) => g.physical));
  for (const key of sortKeys) orderDirection(sc.db, qb, key.alias, key.direction);
  groups.forEach((_g, i) => qb.orderBy(`g${i}`, 'asc'));
  const rows = (await qb.limit(input.limit)) as Array<Record<string, unknown>>;
  return {
    rows: rows.map((row) => ({
      ...groupValues(groups, row),
      ...Object.fromEntries(measures.map((m, i) => [m.name, m.fn === 'count' ? Number(row[`a${i}`] ?? 0) : totalToApi(m.fn, m.column!, row[`a${i}`])])),
    })),
  };
}

/**
 * Percentile rank: `below / total * 100`, where `total` counts the items with a value (rows, or groups
 * with a total) and `below` those whose value is strictly smaller than the subject's. Ties count as not
 * below, so the smallest value has rank 0 and "more active than 80% of users" reads directly.
 */
export async function percentileRank(sc: StatsContext, input: z.output<typeof percentileSchema>) {
  const errors: FieldError[] = [];
  const column = columnOrFail(sc.table, input.column, 'column', errors);
  const groups = (input.groupBy ?? []).map((name, i) => columnOrFail(sc.table, name, `groupBy.${i}`, errors));
  const fn = groups.length > 0 ? (input.fn ?? 'sum') : undefined;
  if (fn) checkFn(fn, column, 'column', errors);
  else if (column && !RANKABLE_TYPES.includes(column.type)) errors.push({ path: 'column', message: `a ${column.type} column cannot be ranked` });
  if (input.fn && groups.length === 0) errors.push({ path: 'groupBy', message: 'fn totals groups: give groupBy' });
  const subjects = [input.value, input.rowId, input.group].filter((s) => s !== undefined).length;
  if (subjects !== 1) errors.push({ path: '(root)', message: 'give exactly one of value, rowId or group' });
  if (input.group && groups.length === 0) errors.push({ path: 'group', message: 'group needs groupBy' });
  throwIfAny(errors, 'Invalid percentile request');

  if (fn) {
    const ranked = await rankGroup(sc, input, column, groups, fn);
    return { ...ranked, percentile: percent(ranked.below, ranked.total), value: totalToApi(fn, column, ranked.subject) };
  }
  const subject = await rowSubject(sc, input, column);
  const [below, total] = await countRows(sc, input, column, subject);
  return { percentile: percent(below, total), below, total, value: fromDbValue(column, subject) };
}

const percent = (below: number, total: number) => (total === 0 ? 0 : (below / total) * 100);

function parseSubjectValue(sc: StatsContext, column: Column, value: unknown, numeric: boolean): unknown {
  // A group total is any number, even of the row id (an average of ids is fractional).
  const parsed = numeric ? parseValue({ ...column, type: 'number', system: false }, value, 'json', true) : parseValue(column, value, 'json', true);
  if (!parsed.ok) throw invalid('Invalid percentile request', [{ path: 'value', message: parsed.message }]);
  return toDbValue(sc.db, column, parsed.value);
}

async function rowSubject(sc: StatsContext, input: z.output<typeof percentileSchema>, column: Column): Promise<unknown> {
  if (input.value !== undefined) return parseSubjectValue(sc, column, input.value, false);
  const row = await sc.db(sc.table.physical).where('id', input.rowId!).first(column.physical);
  if (!row) throw notFound(`No row with id ${input.rowId}`);
  if (row[column.physical] === null) throw invalid('Invalid percentile request', [{ path: 'rowId', message: `the row has no ${column.name}` }]);
  return row[column.physical];
}

/**
 * One pass: the group totals are computed once (a CTE) and both the subject's total and the count of
 * smaller totals are read from them.
 */
async function rankGroup(sc: StatsContext, input: z.output<typeof percentileSchema>, column: Column, groups: Column[], fn: AggregateFn) {
  const totals = groupTotals(sc, input, column, groups, fn);
  let subjectSql: string;
  let subjectBindings: Knex.Value[];
  if (input.value !== undefined) {
    // PostgreSQL types the parameter after "value" (bigint for count): a fractional subject needs a cast.
    const numeric = fn !== 'min' && fn !== 'max' ? true : column.type === 'number';
    subjectSql = isPostgres(sc.db) && numeric ? 'cast(? as double precision)' : '?';
    subjectBindings = [parseSubjectValue(sc, column, input.value, numeric) as Knex.Value];
  } else {
    const key = input.group ? groupKeyFromInput(sc, groups, input.group) : await groupKeyOfRow(sc, groups, input.rowId!);
    const match = key.map((value, i) => (value === null ? `"g${i}" is null` : `"g${i}" = ?`)).join(' and ');
    subjectSql = `(select "value" from "totals" where ${match})`;
    subjectBindings = key.filter((value) => value !== null) as Knex.Value[];
  }
  const row = await sc.db
    .with('totals', totals)
    .from('totals')
    .select(sc.db.raw(`count(*) as total, sum(case when "value" < ${subjectSql} then 1 else 0 end) as below, ${subjectSql} as subject`, [...subjectBindings, ...subjectBindings]))
    .first();
  if (row?.subject === null || row?.subject === undefined) throw notFound('This group has no rows with a value in the window');
  return { below: Number(row.below ?? 0), total: Number(row.total ?? 0), subject: row.subject as unknown };
}

function groupKeyFromInput(sc: StatsContext, groups: Column[], group: Record<string, unknown>): unknown[] {
  const errors: FieldError[] = [];
  const key = groups.map((g) => {
    const parsed = parseValue(g, Object.hasOwn(group, g.name) ? group[g.name] : undefined, 'json', false);
    if (!parsed.ok) errors.push({ path: `group.${g.name}`, message: parsed.message });
    return parsed.ok ? toDbValue(sc.db, g, parsed.value) : null;
  });
  throwIfAny(errors, 'Invalid percentile request');
  return key;
}

async function groupKeyOfRow(sc: StatsContext, groups: Column[], rowId: number): Promise<unknown[]> {
  const row = await sc.db(sc.table.physical).where('id', rowId).first(groups.map((g) => g.physical));
  if (!row) throw notFound(`No row with id ${rowId}`);
  return groups.map((g) => row[g.physical]);
}

/**
 * `below` and `total` in one statement (one snapshot, so a concurrent write never splits them). Over
 * the whole table `total` costs nothing (see wholeTable) and only one side of the subject is counted;
 * with a filter or a window one pass over the scope counts both.
 */
async function countRows(sc: StatsContext, input: z.output<typeof percentileSchema>, column: Column, subject: unknown): Promise<[number, number]> {
  const value = subject as Knex.Value;
  if (!input.filter && !input.window) return wholeTable(sc, column, value);
  const row: { below?: unknown; total?: unknown } | undefined = await scopedQuery(sc, input)
    .select(sc.db.raw('count(??) as total, sum(case when ?? < ? then 1 else 0 end) as below', [column.physical, column.physical, value]))
    .first();
  return [Number(row?.below ?? 0), Number(row?.total ?? 0)];
}

/** True when an index starts with the column, so its smallest and largest values are two seeks. */
function leadsAnIndex(table: DataTable, column: Column): boolean {
  return column.unique || column.physical === 'created_at' || table.indexes.some((index) => index.columns[0] === column.name);
}

/**
 * The whole table. `total`: on SQLite `count(*)` minus the empty cells (`count(*)` is answered from
 * the b-tree's page headers), on PostgreSQL the column's kept count (value-counts.ts). On PostgreSQL a
 * column counted per bucket (a number or datetime leading an index) sums the kept counts of the buckets
 * below the subject's and counts index entries inside its bucket only (bucketRows). Otherwise, when
 * the column leads an index and holds numbers (datetimes are epoch ms), the subject's place between
 * the column's smallest and largest value guesses which side is smaller, and a subject in the upper
 * half counts the values at or above it (`below = total − those`): a value near the top reads a few
 * index entries instead of almost all of them. The guess only picks the work; the answer is exact
 * either way. The middle is `lo / 2 + hi / 2`, which cannot overflow a double (PostgreSQL refuses an
 * infinite result). Both databases run a scalar subquery only when its CASE branch is taken. `min`
 * and `max` are two subqueries: SQLite seeks the index for a lone min() or max() but scans the table
 * for both at once.
 */
async function wholeTable(sc: StatsContext, column: Column, value: Knex.Value): Promise<[number, number]> {
  const t = sc.table.physical;
  const c = column.physical;
  if (isPostgres(sc.db) && isBucketed(sc.table, column)) return bucketRows(sc, column, Number(value));
  const counts = isPostgres(sc.db)
    ? valueCountSql(sc.db, sc.table, column)
    : sc.db.raw('select (select count(*) from ??) - (select count(*) from ?? where ?? is null) as total, 0 as deltas', [t, t, c]);
  const countBelow = sc.db.raw('(select count(*) from ?? where ?? < ?)', [t, c, value]);
  const rows = (await (column.type !== 'string' && leadsAnIndex(sc.table, column)
    ? sc.db.raw(
        `select total, deltas, case when ? > lo / 2 + hi / 2 then total - (select count(*) from ?? where ?? >= ?) else ? end as below
         from (?) as counts, (select (select min(??) from ??) as lo, (select max(??) from ??) as hi) as bounds`,
        [value, t, c, value, countBelow, counts, c, t, c, t],
      )
    : sc.db.raw('select total, deltas, ? as below from (?) as counts', [countBelow, counts]))) as { rows?: CountRow[] } | CountRow[];
  const row = (Array.isArray(rows) ? rows : rows.rows!)[0];
  await foldValueCounts(sc.db, sc.table, column, Number(row.deltas));
  return [Number(row.below), Number(row.total)];
}

/**
 * PostgreSQL, a column counted per bucket: `below` = the kept counts of the buckets below the
 * subject's + the values of its bucket below the subject, counted on the index inside
 * `[from, to)` only, from the nearer end of the bucket's values (as wholeTable picks a side). The
 * ends are compared as distances: the subject and both ends lie in one bucket, so a difference never
 * overflows, and a subtraction never underflows (halving a subnormal does: PostgreSQL refuses it).
 * One statement, so the kept counts and the index are read in one snapshot.
 */
async function bucketRows(sc: StatsContext, column: Column, value: number): Promise<[number, number]> {
  const t = sc.table.physical;
  const c = column.physical;
  const { bucket, from, to } = bucketOf(column.type, value);
  const result = (await sc.db.raw(
    `select total, deltas, kept, lower + case when ? - lo > hi - ? then inside - (select count(*) from ?? where ?? >= ? and ?? < ?)
       else (select count(*) from ?? where ?? >= ? and ?? < ?) end as below
     from (?) as counts, (?) as kept_buckets, (select (select min(??) from ?? where ?? >= ?) as lo, (select max(??) from ?? where ?? < ?) as hi) as bounds`,
    [value, value, t, c, value, c, to, t, c, from, c, value, valueCountSql(sc.db, sc.table, column), bucketCountSql(sc.db, sc.table, column, bucket), c, t, c, from, c, t, c, to],
  )) as { rows: Array<CountRow & { kept: unknown }> };
  const row = result.rows[0];
  await foldValueCounts(sc.db, sc.table, column, Number(row.deltas));
  await foldBucketCounts(sc.db, sc.table, column, Number(row.kept));
  return [Number(row.below), Number(row.total)];
}

interface CountRow {
  total: unknown;
  deltas: unknown;
  below: unknown;
}

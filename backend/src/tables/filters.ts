import type { Knex } from 'knex';
import { z } from 'zod';
import { invalid, type FieldError } from '../platform/errors';
import { isPostgres } from '../platform/db/database';
import { type Column, type DataTable, findColumn } from './catalogue';
import { parseValue, toDbValue } from './values';

export const FILTER_OPS = ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'isEmpty', 'isNotEmpty', 'isTrue', 'isFalse'] as const;
type FilterOp = (typeof FILTER_OPS)[number];
const MAX_IN_VALUES = 1000;

export const filterSchema = z
  .object({
    match: z.enum(['all', 'any']).default('all'),
    conditions: z
      .array(z.object({ column: z.string().max(64), op: z.enum(FILTER_OPS), value: z.unknown().optional() }))
      .max(50),
  })
  .meta({
    id: 'DataTableFilter',
    description:
      '`neq` also matches empty (null) cells; `isEmpty` is null, or "" in a string column; `like`/`ilike` use `%` and `_`, `\\` escapes; `in` takes up to 1000 values.',
  });
export type Filter = z.output<typeof filterSchema>;
type Condition = Filter['conditions'][number];

const OPS_BY_TYPE: Record<Column['type'], FilterOp[]> = {
  string: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'like', 'ilike', 'in', 'isEmpty', 'isNotEmpty'],
  number: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'isEmpty', 'isNotEmpty'],
  datetime: ['eq', 'neq', 'gt', 'gte', 'lt', 'lte', 'in', 'isEmpty', 'isNotEmpty'],
  boolean: ['eq', 'neq', 'in', 'isEmpty', 'isNotEmpty', 'isTrue', 'isFalse'],
  json: ['isEmpty', 'isNotEmpty'],
};

/** A condition checked against the catalogue, its value already in database form. */
interface ResolvedCondition {
  column: Column;
  op: FilterOp;
  value?: unknown;
}

function resolveValue(db: Knex, column: Column, condition: Condition, path: string, errors: FieldError[]): unknown {
  const one = (value: unknown, at: string) => {
    const parsed = parseValue(column, value, 'json', true);
    if (!parsed.ok) errors.push({ path: at, message: parsed.message });
    return parsed.ok ? toDbValue(db, column, parsed.value) : undefined;
  };
  if (condition.op === 'in') {
    if (!Array.isArray(condition.value) || condition.value.length === 0 || condition.value.length > MAX_IN_VALUES) {
      errors.push({ path, message: `must be an array of 1 to ${MAX_IN_VALUES} values` });
      return undefined;
    }
    return condition.value.map((v, i) => one(v, `${path}.${i}`));
  }
  if (condition.op === 'like' || condition.op === 'ilike') {
    if (typeof condition.value === 'string' && condition.value.length <= 1000 && !condition.value.includes('\u0000')) return condition.value;
    errors.push({ path, message: 'must be a pattern string of at most 1000 characters, without NUL' });
    return undefined;
  }
  return one(condition.value, path);
}

/** Checks every condition against the table; every problem is reported at once (422). */
export function resolveFilter(db: Knex, table: DataTable, filter: Filter | undefined, path = 'filter'): { match: 'all' | 'any'; conditions: ResolvedCondition[] } {
  const errors: FieldError[] = [];
  const conditions: ResolvedCondition[] = [];
  (filter?.conditions ?? []).forEach((condition, i) => {
    const at = `${path}.conditions.${i}`;
    const column = findColumn(table, condition.column);
    if (!column) return void errors.push({ path: `${at}.column`, message: `unknown column "${condition.column}"` });
    if (!OPS_BY_TYPE[column.type].includes(condition.op)) {
      return void errors.push({ path: `${at}.op`, message: `"${condition.op}" does not apply to a ${column.type} column` });
    }
    const takesValue = !['isEmpty', 'isNotEmpty', 'isTrue', 'isFalse'].includes(condition.op);
    const value = takesValue ? resolveValue(db, column, condition, `${at}.value`, errors) : undefined;
    conditions.push({ column, op: condition.op, value });
  });
  if (errors.length > 0) throw invalid('Invalid filter', errors);
  return { match: filter?.match ?? 'all', conditions };
}

function likeClause(db: Knex, column: string, pattern: string, caseInsensitive: boolean): Knex.Raw {
  if (isPostgres(db)) return db.raw(`?? ${caseInsensitive ? 'ilike' : 'like'} ?`, [column, pattern]);
  return db.raw('metabot_like(??, ?, ?) = 1', [column, pattern, caseInsensitive ? 1 : 0]);
}

function addCondition(db: Knex, qb: Knex.QueryBuilder, { column, op, value }: ResolvedCondition, or: boolean): void {
  const name = column.physical;
  const where = (callback: (q: Knex.QueryBuilder) => void) => (or ? qb.orWhere(callback) : qb.where(callback));
  const empty = (q: Knex.QueryBuilder) => {
    q.whereNull(name);
    if (column.type === 'string') q.orWhere(name, '');
  };
  switch (op) {
    case 'eq':
      return void where((q) => q.where(name, value as Knex.Value));
    case 'neq':
      return void where((q) => q.where(name, '<>', value as Knex.Value).orWhereNull(name));
    case 'gt':
    case 'gte':
    case 'lt':
    case 'lte':
      return void where((q) => q.where(name, { gt: '>', gte: '>=', lt: '<', lte: '<=' }[op], value as Knex.Value));
    case 'like':
    case 'ilike':
      return void where((q) => q.where(likeClause(db, name, value as string, op === 'ilike')));
    case 'in':
      return void where((q) => q.whereIn(name, value as Knex.Value[]));
    case 'isEmpty':
      return void where(empty);
    case 'isNotEmpty':
      return void where((q) => q.whereNot(empty));
    case 'isTrue':
    case 'isFalse':
      return void where((q) => q.where(name, isPostgres(db) ? op === 'isTrue' : Number(op === 'isTrue')));
  }
}

/** Adds the filter as one parenthesised WHERE group. Identifiers come from the catalogue; values are bound. */
export function applyFilter(db: Knex, qb: Knex.QueryBuilder, filter: ReturnType<typeof resolveFilter>): void {
  if (filter.conditions.length === 0) return;
  qb.where((group) => {
    for (const condition of filter.conditions) addCondition(db, group, condition, filter.match === 'any');
  });
}

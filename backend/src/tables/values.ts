import type { Knex } from 'knex';
import { isPostgres, toJson } from '../platform/db/database';
import type { Column } from './catalogue';

export const MAX_STRING_LENGTH = 65_535;
const MAX_EPOCH_MS = 8.64e15;
const ISO_DATE = /^\d{4}-\d{2}-\d{2}([T ]\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:?\d{2})?)?$/;
const NUMERIC_TEXT = /^[+-]?(\d+(\.\d*)?|\.\d+)([eE][+-]?\d+)?$/;

export type Parsed = { ok: true; value: unknown } | { ok: false; message: string };

/** How an incoming value is read: `json` from API bodies, `text` from CSV cells (every cell is a string). */
export type ValueSource = 'json' | 'text';

const fail = (message: string): Parsed => ({ ok: false, message });
const ok = (value: unknown): Parsed => ({ ok: true, value });

function parseNumber(value: unknown): Parsed {
  const n = typeof value === 'string' && NUMERIC_TEXT.test(value.trim()) ? Number(value) : value;
  return typeof n === 'number' && Number.isFinite(n) ? ok(n) : fail('must be a finite number');
}

/**
 * The one system number column is the row id, a 64-bit integer in PostgreSQL: a fractional or huge
 * operand there is refused as input (PostgreSQL would fail the bound parameter with a server error).
 */
function parseRowId(value: unknown): Parsed {
  const parsed = parseNumber(value);
  if (!parsed.ok) return parsed;
  return Number.isSafeInteger(parsed.value) ? parsed : fail('must be a whole number (row ids are integers)');
}

function parseBoolean(value: unknown): Parsed {
  if (typeof value === 'boolean') return ok(value);
  const text = String(value).trim().toLowerCase();
  if (['true', '1', 'yes'].includes(text)) return ok(true);
  if (['false', '0', 'no'].includes(text)) return ok(false);
  return fail('must be true or false');
}

/** Epoch milliseconds, from an ISO 8601 string or a number of milliseconds. */
export function parseDatetime(value: unknown): Parsed {
  let ms: number | undefined;
  if (typeof value === 'number') ms = value;
  else if (typeof value === 'string' && NUMERIC_TEXT.test(value.trim())) ms = Number(value);
  else if (typeof value === 'string' && ISO_DATE.test(value.trim())) ms = Date.parse(value.trim().replace(' ', 'T'));
  if (ms === undefined || !Number.isInteger(ms) || Math.abs(ms) > MAX_EPOCH_MS) {
    return fail('must be an ISO 8601 date-time (e.g. 2026-11-21T12:00:00Z) or epoch milliseconds');
  }
  return ok(ms);
}

function parseString(value: unknown, source: ValueSource): Parsed {
  if (typeof value !== 'string') return source === 'json' && typeof value === 'number' ? ok(String(value)) : fail('must be a string');
  if (value.includes('\u0000')) return fail('must not contain the NUL character');
  return value.length <= MAX_STRING_LENGTH ? ok(value) : fail(`must be at most ${MAX_STRING_LENGTH} characters`);
}

function parseJsonValue(value: unknown, source: ValueSource): Parsed {
  if (source === 'json') return ok(value);
  try {
    return ok(JSON.parse(String(value)));
  } catch {
    return fail('must be valid JSON');
  }
}

/**
 * Reads a value for a column into its canonical form (string, number, boolean, epoch ms, any JSON).
 * Null and an empty CSV cell (in any column type, as in a spreadsheet) are null; `required` refuses it.
 */
export function parseValue(column: Column, value: unknown, source: ValueSource, required = !column.nullable): Parsed {
  const empty = value === null || value === undefined || (source === 'text' && value === '');
  if (empty) return required ? fail('is required') : ok(null);
  switch (column.type) {
    case 'string':
      return parseString(value, source);
    case 'number':
      return column.system ? parseRowId(value) : parseNumber(value);
    case 'boolean':
      return parseBoolean(value);
    case 'datetime':
      return parseDatetime(value);
    case 'json':
      return parseJsonValue(value, source);
  }
}

/** The canonical value as it is bound for the database (booleans differ, JSON is text). */
export function toDbValue(db: Knex, column: Column, value: unknown): unknown {
  if (value === null) return null;
  if (column.type === 'boolean') return isPostgres(db) ? value : value ? 1 : 0;
  if (column.type === 'json') return toJson(value);
  return value;
}

/** A database value as the API shows it: datetimes as ISO strings, booleans as booleans, JSON parsed. */
export function fromDbValue(column: Column, raw: unknown): unknown {
  if (raw === null || raw === undefined) return null;
  switch (column.type) {
    case 'number':
      return Number(raw);
    case 'boolean':
      return raw === true || raw === 1 || raw === '1' || raw === 't';
    case 'datetime':
      return new Date(Number(raw)).toISOString();
    case 'json':
      return JSON.parse(String(raw));
    case 'string':
      return String(raw);
  }
}

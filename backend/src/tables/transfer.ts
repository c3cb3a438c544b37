import type { Response } from 'express';
import type { Knex } from 'knex';
import type * as CsvParse from 'csv-parse/sync';
import type * as CsvStringify from 'csv-stringify/sync';
import { conflict, invalid, type FieldError } from '../platform/errors';
import { isUniqueViolation } from '../platform/db/database';
import { type DataTable, findColumn } from './catalogue';
import { insertParsedRows, parseRows, toApiRow } from './rows';

export const MAX_IMPORT_ROWS = 100_000;
const EXPORT_PAGE = 5000;

// The CSV reader and writer load with the first CSV import or export, not at start (docs/ARCHITECTURE.md, "Memory at start").
const csvParse = () => require('csv-parse/sync') as typeof CsvParse;
const csvStringify = () => require('csv-stringify/sync') as typeof CsvStringify;

export type TransferFormat = 'csv' | 'json';
export type ImportMode = 'append' | 'replace';

function readCsv(text: string): Array<Record<string, string>> {
  try {
    return csvParse().parse(text, { columns: true, bom: true, skip_empty_lines: true, trim: false }) as Array<Record<string, string>>;
  } catch (error) {
    const e = error as { message?: string; lines?: number };
    throw invalid('The CSV cannot be read', [{ path: e.lines ? `line.${e.lines}` : '(root)', message: String(e.message ?? error).slice(0, 300) }]);
  }
}

function readJson(body: unknown): unknown[] {
  const rows = Array.isArray(body) ? body : (body as { rows?: unknown })?.rows;
  if (!Array.isArray(rows)) throw invalid('Invalid import', [{ path: '(root)', message: 'send a JSON array of row objects (or {"rows": [...]})' }]);
  return rows;
}

function checkHeader(table: DataTable, names: string[]): void {
  const unknown = names.filter((name) => !findColumn(table, name));
  if (unknown.length > 0) throw invalid('The file has columns this table does not have', unknown.map((name) => ({ path: `header.${name}`, message: 'unknown column' })));
}

/** A CSV row's errors are reported by file line (the header is line 1); a JSON row's by array index. */
function relabel(errors: FieldError[], format: TransferFormat): FieldError[] {
  if (format === 'json') return errors;
  return errors.map((e) => ({ ...e, path: e.path.replace(/^rows\.(\d+)/, (_m, i: string) => `line.${Number(i) + 2}`) }));
}

/** Imports every row or none: all rows are checked first, then written in one transaction. */
export async function importRows(db: Knex, table: DataTable, format: TransferFormat, body: unknown, mode: ImportMode, now: number): Promise<number> {
  let input: unknown[];
  if (format === 'csv') {
    if (typeof body !== 'string') throw invalid('Invalid import', [{ path: '(root)', message: 'send the CSV as text/csv' }]);
    input = readCsv(body);
  } else {
    input = readJson(body);
  }
  if (input.length > MAX_IMPORT_ROWS) throw invalid('Too many rows', [{ path: '(root)', message: `at most ${MAX_IMPORT_ROWS} rows per import` }]);
  const names = new Set(input.flatMap((row) => (row && typeof row === 'object' ? Object.keys(row) : [])));
  checkHeader(table, [...names]);
  const { rows, errors } = parseRows(db, table, input, { source: format === 'csv' ? 'text' : 'json', ignoreSystem: true });
  if (errors.length > 0) throw invalid(`Nothing was imported: ${new Set(errors.map((e) => e.path.split('.').slice(0, 2).join('.'))).size} rows have errors`, relabel(errors, format));
  try {
    await db.transaction(async (trx) => {
      if (mode === 'replace') await trx(table.physical).delete();
      await insertParsedRows(trx, table, rows, now);
    });
  } catch (error) {
    if (isUniqueViolation(error)) throw conflict('Nothing was imported: rows repeat a value of a unique column or index');
    throw error;
  }
  return rows.length;
}

function csvCell(value: unknown): string {
  if (value === null || value === undefined) return '';
  if (typeof value === 'object') return JSON.stringify(value);
  return String(value);
}

async function write(res: Response, chunk: string): Promise<void> {
  if (!res.write(chunk)) await new Promise((resolve) => res.once('drain', resolve));
}

/** Streams every row, page by page in id order, so a million rows never sit in memory at once. */
export async function exportRows(db: Knex, table: DataTable, format: TransferFormat, res: Response): Promise<void> {
  const names = table.columns.map((c) => c.name);
  res.status(200);
  res.type(format === 'csv' ? 'text/csv; charset=utf-8' : 'application/json; charset=utf-8');
  res.setHeader('Content-Disposition', `attachment; filename="table-${table.id}.${format}"`);
  await write(res, format === 'csv' ? csvStringify().stringify([names]) : '[');
  let lastId = 0;
  let first = true;
  for (;;) {
    const page = (await db(table.physical).select('*').where('id', '>', lastId).orderBy('id').limit(EXPORT_PAGE)) as Array<Record<string, unknown>>;
    if (page.length === 0) break;
    lastId = Number(page[page.length - 1].id);
    const rows = page.map((row) => toApiRow(table, row));
    if (format === 'csv') {
      await write(res, csvStringify().stringify(rows.map((row) => names.map((name) => csvCell(row[name])))));
    } else {
      await write(res, (first ? '' : ',') + rows.map((row) => JSON.stringify(row)).join(','));
    }
    first = false;
  }
  if (format === 'json') await write(res, ']');
  res.end();
}

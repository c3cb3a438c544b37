import { z } from 'zod';

/** Names every row has; user columns may not take them (compared case-insensitively). */
export const SYSTEM_COLUMNS = ['id', 'createdAt', 'updatedAt'] as const;
export type SystemColumn = (typeof SYSTEM_COLUMNS)[number];

// Never spliced into SQL (physical names are dt_<bot>_<table> and c_<column>), but kept free for
// clarity in exports, n8n expressions and anyone reading the database by hand.
const RESERVED = new Set([
  ...SYSTEM_COLUMNS.map((name) => name.toLowerCase()),
  'rowid', 'oid', '_rowid_', 'ctid', 'xmin', 'xmax', '__proto__',
  'select', 'from', 'where', 'table', 'drop', 'insert', 'update', 'delete', 'null', 'true', 'false',
]);

/** Letters (any script), digits and underscores; starts with a letter or underscore; 1–63 characters. */
const NAME_PATTERN = /^[\p{L}_][\p{L}\p{N}_]{0,62}$/u;

const nameSchema = (what: string) =>
  z
    .string()
    .regex(NAME_PATTERN, `${what} names use letters, digits and underscores, start with a letter or underscore, up to 63 characters`)
    .refine((name) => !RESERVED.has(name.toLowerCase()), `this ${what} name is reserved`);

export const tableNameSchema = nameSchema('table');
export const columnNameSchema = nameSchema('column');

export const COLUMN_TYPES = ['string', 'number', 'boolean', 'datetime', 'json'] as const;
export type ColumnType = (typeof COLUMN_TYPES)[number];

export const physicalTableName = (botId: number, tableId: number) => `dt_${botId}_${tableId}`;
export const physicalColumnName = (columnId: number) => `c_${columnId}`;

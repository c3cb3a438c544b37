import crypto from 'node:crypto';
import { isPostgres, type Database } from '../../../backend/src/platform/db/database';

/** Table name → `rows:<count> <sha256 of the ordered rows>`. */
export type Snapshot = Map<string, string>;

/**
 * Every table's row count and a checksum of its content, in two round trips (the table list, then
 * one UNION ALL), cheap enough to take after every request of a fuzz run.
 */
export async function snapshotDatabase(db: Database, exclude: ReadonlySet<string> = new Set()): Promise<Snapshot> {
  const tables = (await listTables(db)).filter((t) => !exclude.has(t.name));
  const selects = tables.map((t) => (isPostgres(db) ? postgresDigest(t.name) : sqliteDigest(t)));
  const rows = selects.length ? ((await db.raw(selects.join(' union all '))) as unknown) : [];
  const list = (isPostgres(db) ? (rows as { rows: DigestRow[] }).rows : rows) as DigestRow[];
  return new Map(list.map((r) => [r.name, `rows:${r.n} ${crypto.createHash('sha256').update(r.content ?? '').digest('hex')}`]));
}

/** Tables whose count or content differ, with both sides. */
export function snapshotDifferences(before: Snapshot, after: Snapshot): Array<{ table: string; before?: string; after?: string }> {
  const names = new Set([...before.keys(), ...after.keys()]);
  return [...names].filter((name) => before.get(name) !== after.get(name)).map((table) => ({ table, before: before.get(table), after: after.get(table) }));
}

interface DigestRow {
  name: string;
  n: number | string;
  content: string | null;
}

interface TableColumns {
  name: string;
  columns: string[];
}

const quoteIdent = (name: string) => `"${name.replace(/"/g, '""')}"`;
const quoteText = (text: string) => `'${text.replace(/'/g, "''")}'`;

async function listTables(db: Database): Promise<TableColumns[]> {
  if (isPostgres(db)) {
    const result = (await db.raw('select tablename as name from pg_tables where schemaname = current_schema() order by 1')) as { rows: Array<{ name: string }> };
    return result.rows.map((r) => ({ name: r.name, columns: [] }));
  }
  const rows = (await db.raw(
    "select m.name as name, p.name as col from sqlite_master m join pragma_table_info(m.name) p where m.type = 'table' order by m.name, p.cid",
  )) as Array<{ name: string; col: string }>;
  const byTable = new Map<string, string[]>();
  for (const r of rows) byTable.set(r.name, [...(byTable.get(r.name) ?? []), r.col]);
  return [...byTable].map(([name, columns]) => ({ name, columns }));
}

function postgresDigest(table: string): string {
  return `select ${quoteText(table)} as name, count(*) as n, string_agg(t::text, chr(30) order by t::text) as content from ${quoteIdent(table)} t`;
}

function sqliteDigest(table: TableColumns): string {
  const row = table.columns.map((c) => `quote(${quoteIdent(c)})`).join(" || ',' || ");
  return `select ${quoteText(table.name)} as name, count(*) as n, group_concat(r, char(30)) as content from (select ${row} as r from ${quoteIdent(table.name)} order by 1)`;
}

/**
 * A value that changes whenever anything may have been written, far cheaper than a snapshot: on
 * SQLite the connection's total_changes() and the schema version (the backend has one connection);
 * on PostgreSQL the WAL insert position (other databases of the cluster move it too: a false alarm
 * only costs a snapshot).
 */
export async function changeMarker(db: Database): Promise<string> {
  if (isPostgres(db)) return String(((await db.raw('select pg_current_wal_insert_lsn() as m')) as { rows: Array<{ m: string }> }).rows[0].m);
  const [row] = (await db.raw('select total_changes() as c, (select schema_version from pragma_schema_version) as v')) as Array<{ c: number; v: number }>;
  return `${row.c}/${row.v}`;
}

import type { Knex } from 'knex';
import { fromJson } from '../platform/db/database';

/** A bot's rows holding a JSON object of named values: lead attributes, user profiles. */
type NamedValues = { table: 'leads'; column: 'attributes' } | { table: 'user_accounts'; column: 'profile' };

/**
 * The names used in one JSON column of a bot's rows, sorted, for a template editor's placeholder
 * list. Bounded on a bot of any size: it reads at most `rowsRead` non-empty rows (found through
 * the bot_id index, in no particular order) and returns at most `maxNames` names; `complete` is
 * false when either bound was reached, so a name may be missing.
 */
export async function namesInUse(db: Knex, source: NamedValues, botId: number, bounds: { rowsRead: number; maxNames: number }): Promise<{ names: string[]; complete: boolean }> {
  const rows = (await db(source.table).where({ bot_id: botId }).whereNot(source.column, '{}').limit(bounds.rowsRead).pluck(source.column)) as string[];
  const names = new Set<string>();
  for (const row of rows) {
    for (const name of Object.keys(fromJson<Record<string, unknown>>(row) ?? {})) names.add(name);
  }
  const sorted = [...names].sort();
  return { names: sorted.slice(0, bounds.maxNames), complete: rows.length < bounds.rowsRead && sorted.length <= bounds.maxNames };
}

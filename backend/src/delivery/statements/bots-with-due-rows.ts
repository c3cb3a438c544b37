import type { Knex } from 'knex';
import { CLAIMABLE } from './claim-due-recipients';

/**
 * Up to 100 bots that have rows to claim at `now`: bot by bot, one probe of the claim's own index
 * (bot_id, status, due_at) that stops at the first due row. Asked across bots instead, the
 * database would need an index of its own on (status, due_at), one more entry for every accepted
 * recipient, and would still read every due row to list their distinct bots.
 */
export async function botsWithDueRows(db: Knex, now: number): Promise<number[]> {
  const due = db('message_recipients as r').select(db.raw('1')).whereRaw('r.bot_id = b.id').whereIn('r.status', CLAIMABLE).andWhere('r.due_at', '<=', now);
  const rows = (await db('bots as b').select('b.id').whereExists(due).limit(100)) as Array<{ id: number }>;
  return rows.map((row) => row.id);
}

import type { Knex } from 'knex';
import { CLAIMABLE } from './claim-due-recipients';

/** Up to 100 bots that have rows to claim at `now`. */
export async function botsWithDueRows(db: Knex, now: number): Promise<number[]> {
  const rows = (await db('message_recipients').distinct('bot_id').whereIn('status', CLAIMABLE).andWhere('due_at', '<=', now).limit(100)) as Array<{ bot_id: number }>;
  return rows.map((row) => row.bot_id);
}

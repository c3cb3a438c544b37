import type { Knex } from 'knex';

/** Chats of one bot that got a message less than `spacingMs` before `now`: the time each may take the next one. */
export async function chatsBusyUntil(db: Knex, botId: number, chatIds: string[], now: number, spacingMs: number): Promise<Map<string, number>> {
  if (spacingMs === 0) return new Map();
  const rows = (await db('message_recipients')
    .where('bot_id', botId)
    .whereIn('chat_id', chatIds)
    .andWhere('sent_at', '>', now - spacingMs)
    .groupBy('chat_id')
    .select('chat_id')
    .max({ last: 'sent_at' })) as Array<{ chat_id: string; last: number }>;
  return new Map(rows.map((r) => [r.chat_id, Number(r.last) + spacingMs]));
}

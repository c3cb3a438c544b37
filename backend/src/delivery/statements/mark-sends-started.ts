import type { Knex } from 'knex';

/**
 * Marks these rows' sends as started (`lease_until` and `started_at` = the start time), committed
 * before the HTTP call: if the process dies before the outcome is written, the next owner knows the
 * row's earlier send may have reached Telegram. Rows claimed but never started carry no mark and
 * are sent again without doubt. A row a cancel reached is not marked and must not be sent: the
 * answer is, per id, whether its send may start. On PostgreSQL the row lock orders the mark and a
 * concurrent cancel, so a cancel either sees the mark (the send is on the wire) or wins.
 */
export async function markSendsStarted(db: Knex, ids: number[], now: number): Promise<boolean[]> {
  const marked = (await db('message_recipients').whereIn('id', ids).whereNull('cancelled_at').update({ lease_until: now, started_at: now }).returning('id')) as Array<{ id: number } | number>;
  const started = new Set(marked.map((r) => Number(typeof r === 'object' ? r.id : r)));
  return ids.map((id) => started.has(id));
}

import type { Knex } from 'knex';

/**
 * Marks these rows' sends as started (`lease_until` = the start time), committed before the HTTP
 * call: if the process dies before the outcome is written, the next owner knows the row's earlier
 * send may have reached Telegram. Rows claimed but never started carry no mark and are sent again
 * without doubt.
 */
export async function markSendsStarted(db: Knex, ids: number[], now: number): Promise<void> {
  await db('message_recipients').whereIn('id', ids).update({ lease_until: now });
}

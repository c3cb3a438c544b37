import type { Knex } from 'knex';
import type { ChannelName } from '../../channels/inbound-update';
import { isPostgres } from '../../platform/db/database';

/** Rows the workers pick up: due now, including `sending` rows whose lease ran out (their process died). */
export const CLAIMABLE = ['queued', 'deferred', 'sending'];

/** A message_recipients row as claimed (every column). */
export interface RecipientRow {
  id: number;
  message_id: string;
  bot_id: number;
  lead_id: string;
  user_id: string | null;
  channel: ChannelName;
  chat_id: string;
  status: string;
  attempts: number;
  due_at: number;
  lease_until: number | null;
  external_id: string | null;
  error: string | null;
  sent_at: number | null;
  updated_at: number;
}

export interface Claim {
  botId: number;
  limit: number;
  now: number;
  leaseMs: number;
}

/**
 * Claims up to `limit` due rows of one bot in one statement (UPDATE … WHERE id IN (SELECT … LIMIT)
 * RETURNING): `FOR UPDATE SKIP LOCKED` on PostgreSQL, so processes never claim the same row;
 * SQLite runs it under its single writer. The claim is a lease: `due_at` moves to the lease's end.
 */
export async function claimDueRecipients(db: Knex, { botId, limit, now, leaseMs }: Claim): Promise<RecipientRow[]> {
  let due = db('message_recipients')
    .select('id')
    .where('bot_id', botId)
    .whereIn('status', CLAIMABLE)
    .andWhere('due_at', '<=', now)
    .orderBy('due_at')
    .orderBy('id')
    .limit(limit);
  if (isPostgres(db)) due = due.forUpdate().skipLocked();
  const rows = (await db('message_recipients')
    .whereIn('id', due)
    .update({ status: 'sending', due_at: now + leaseMs, updated_at: now })
    .returning('*')) as RecipientRow[];
  return rows.sort((a, b) => a.id - b.id);
}

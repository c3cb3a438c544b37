import type { Knex } from 'knex';
import type { ChannelName } from '../../channels/inbound-update';
import { isPostgres } from '../../platform/db/database';

/** Rows the workers pick up: due now (a scheduled row at its time), including `sending` rows whose lease ran out (their process died). */
export const CLAIMABLE = ['queued', 'scheduled', 'deferred', 'sending'];

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
  /** Set while a send of this claim is on the wire (the start mark); null otherwise. */
  started_at: number | null;
  /** Set by a cancel: the row must not start a send after it. */
  cancelled_at: number | null;
  /** The topic a send to topics reached this person through (audiences/topics.ts), else null. */
  topic_id: number | null;
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
    .update({ status: 'sending', due_at: now + leaseMs, started_at: null, updated_at: now })
    .returning('*')) as RecipientRow[];
  return rows.sort((a, b) => a.id - b.id);
}

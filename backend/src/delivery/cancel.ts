import type { Knex } from 'knex';
import { z } from 'zod';
import type { Bot } from '../bots/bots';
import { recordEvent } from '../events/outbox';
import type { AppContext } from '../platform/context';
import { notFound } from '../platform/errors';
import { appendTraceHop } from '../traces/traces';
import { PENDING_STATUSES } from './scheduled-sends';
import { scheduleFields } from './schedule';

export const cancelByKeySchema = z.object({ cancelKey: scheduleFields.cancelKey.unwrap() }).meta({ id: 'CancelMessageByKeyRequest' });

/** What a cancel did: rows cancelled, rows already on the wire (they may reach the person), rows finished before. */
export interface CancelResult {
  messageId: string;
  cancelKey: string | null;
  cancelled: number;
  /** Sends that had started when the cancel arrived: they are not recalled and their outcome is recorded as usual. */
  inFlight: Array<{ leadId: string; userId: string | null }>;
  /** Recipients whose delivery had already ended (sent, failed, skipped, cancelled). */
  finished: number;
}

interface TouchedRow {
  lead_id: string;
  user_id: string | null;
  status: string;
  started_at: number | null;
}

/** The message a cancel names: by id, or by the cancel key a send gave it. */
async function messageOf(trx: Knex, botId: number, target: { messageId: string } | { cancelKey: string }): Promise<{ id: string; trace_id: string; cancel_key: string | null }> {
  const row =
    'messageId' in target
      ? await trx('messages as m').leftJoin('message_cancel_keys as k', 'k.message_id', 'm.id').where({ 'm.bot_id': botId, 'm.id': target.messageId }).first('m.id', 'm.trace_id', 'k.cancel_key')
      : await trx('message_cancel_keys as k').join('messages as m', 'm.id', 'k.message_id').where({ 'k.bot_id': botId, 'k.cancel_key': target.cancelKey }).first('m.id', 'm.trace_id', 'k.cancel_key');
  if (!row) throw notFound('messageId' in target ? 'Unknown message' : `No message has cancelKey "${target.cancelKey}"`);
  return row;
}

/**
 * Cancels what has not left of a message, in one statement: waiting rows (queued, scheduled,
 * deferred) become `cancelled`; a claimed row is marked, so its start mark refuses it (worker.ts)
 * and the worker records it cancelled — unless its send had started, which the statement sees
 * (`started_at`, ordered by the row lock on PostgreSQL, by the single writer on SQLite): that
 * send is on the wire and reported in `inFlight`. One `message.cancelled` event and trace hop.
 */
export async function cancelMessage(trx: Knex, ctx: AppContext, bot: Bot, target: { messageId: string } | { cancelKey: string }): Promise<CancelResult> {
  const message = await messageOf(trx, bot.id, target);
  const now = ctx.clock.now();
  const touched = (await trx('message_recipients')
    .where({ message_id: message.id })
    .whereIn('status', PENDING_STATUSES)
    .whereNull('cancelled_at')
    .update({
      status: trx.raw("case when status = 'sending' then status else 'cancelled' end"),
      error: trx.raw("case when status = 'sending' then error else 'cancelled before it left' end"),
      // Retention counts a finished row's age from due_at: a cancelled one finished now, not at its scheduled time.
      due_at: trx.raw("case when status = 'sending' then due_at else ? end", [now]),
      cancelled_at: now,
      updated_at: now,
    })
    .returning(['lead_id', 'user_id', 'status', 'started_at'])) as TouchedRow[];
  const inFlight = touched.filter((r) => r.status === 'sending' && r.started_at !== null).map((r) => ({ leadId: r.lead_id, userId: r.user_id }));
  const total = await trx('message_recipients').where({ message_id: message.id }).count({ n: '*' }).first();
  const result: CancelResult = { messageId: message.id, cancelKey: message.cancel_key, cancelled: touched.length - inFlight.length, inFlight, finished: Number(total?.n ?? 0) - touched.length };
  const single = touched.length === 1 ? { leadId: touched[0].lead_id, userId: touched[0].user_id } : {};
  await recordEvent(trx, ctx, { botId: bot.id, traceId: message.trace_id, type: 'message.cancelled', ...single, payload: { ...result } });
  await appendTraceHop(trx, ctx.clock, { botId: bot.id, traceId: message.trace_id, hop: 'message.cancelled', status: 'cancelled', ...single, detail: { messageId: message.id, cancelKey: message.cancel_key, cancelled: result.cancelled, inFlight: inFlight.length, finished: result.finished } });
  return result;
}

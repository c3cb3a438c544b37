import type { Knex } from 'knex';
import { countReceipt } from '../../analytics/outcomes';
import { recordEvent, type OutboxContext } from '../../events/outbox';
import { appendTraceHop } from '../../traces/traces';
import type { WhatsappStatus } from './updates';

/** A status for a message we have no record of yet may be ahead of our commit of the send: asked again for this long. */
const STATUS_AHEAD_MS = 60_000;

interface SentRow {
  id: number;
  message_id: string;
  lead_id: string;
  user_id: string | null;
  chat_id: string;
  status: string;
  trace_id: string;
  sent_at: number | null;
  delivered_at: number | null;
  read_at: number | null;
}

/** Raised when a status arrived before the send it reports was recorded: the webhook answers 503 and Meta delivers it again. */
export class StatusAheadOfSend extends Error {}

function reasonOf(status: WhatsappStatus): string {
  const error = status.errors?.[0];
  return error ? `${error.code} ${error.error_data?.details ?? error.title ?? ''}`.trim().slice(0, 1000) : 'failed (no reason given)';
}

/** A failed status ends the recipient's delivery as a send error would: `failed`, `message.failed` and a trace hop. */
async function markFailed(trx: Knex, ctx: OutboxContext, botId: number, row: SentRow, reason: string): Promise<void> {
  if (row.status === 'failed') return;
  await trx('message_recipients').where({ id: row.id }).update({ status: 'failed', error: reason, updated_at: ctx.clock.now() });
  const who = { botId, traceId: row.trace_id, leadId: row.lead_id, userId: row.user_id };
  const detail = { messageId: row.message_id, channel: 'whatsapp', chatId: row.chat_id, error: reason };
  await recordEvent(trx, ctx, { ...who, type: 'message.failed', payload: { ...detail, reportedBy: 'status' } });
  await appendTraceHop(trx, ctx.clock, { ...who, hop: 'message.failed', status: 'failed', detail });
}

/**
 * Delivery receipts onto the recipient row the message id names. Receipts come out of order (read
 * before delivered), so each time is kept once and read implies delivered.
 */
export async function applyStatus(trx: Knex, ctx: OutboxContext, botId: number, status: WhatsappStatus): Promise<void> {
  const row = (await trx('message_recipients as r')
    .join('messages as m', 'm.id', 'r.message_id')
    .where({ 'r.bot_id': botId, 'r.channel': 'whatsapp', 'r.external_id': status.id })
    .first('r.id', 'r.message_id', 'r.lead_id', 'r.user_id', 'r.chat_id', 'r.status', 'r.sent_at', 'r.delivered_at', 'r.read_at', 'm.trace_id')) as SentRow | undefined;
  const at = status.timestamp * 1000;
  if (!row) {
    if (Date.now() - at < STATUS_AHEAD_MS) throw new StatusAheadOfSend(status.id);
    return;
  }
  const keep = (column: string) => trx.raw('coalesce(??, ?)', [column, at]);
  if (status.status === 'delivered') await trx('message_recipients').where({ id: row.id }).update({ delivered_at: keep('delivered_at') });
  if (status.status === 'read') await trx('message_recipients').where({ id: row.id }).update({ delivered_at: keep('delivered_at'), read_at: keep('read_at') });
  if (status.status === 'failed') await markFailed(trx, ctx, botId, row, reasonOf(status));
  const firstDelivered = row.delivered_at === null && (status.status === 'delivered' || status.status === 'read');
  const firstRead = row.read_at === null && status.status === 'read';
  if (row.sent_at !== null) await countReceipt(trx, { botId, traceId: row.trace_id, channel: 'whatsapp', sentAt: row.sent_at, delivered: firstDelivered, read: firstRead });
}

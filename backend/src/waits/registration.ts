import type { Knex } from 'knex';
import type { EventRow } from '../events/event-row';
import { fromJson } from '../platform/db/database';
import { sentPayloadSchema, type WaitRow, waitSchema } from './rows';

/**
 * A waiting message was sent to a lead (its `message.sent` event, seen by the fan-out): from now
 * on the lead's answer resumes the n8n execution, until the timeout. Nothing is registered once
 * the message was answered by another of its recipients.
 */
export async function registerWaits(trx: Knex, events: EventRow[]): Promise<void> {
  const sent = events.flatMap((event) => {
    const payload = sentPayloadSchema.safeParse(event.type === 'message.sent' && event.lead_id ? fromJson(event.payload) : null);
    return payload.success ? [{ event, ...payload.data }] : [];
  });
  if (sent.length === 0) return;
  const messages = await trx('messages').whereIn('id', [...new Set(sent.map((s) => s.messageId))]).whereNotNull('wait').select('id', 'wait');
  const waitOf = new Map(messages.flatMap((m: { id: string; wait: string }) => {
    const wait = waitSchema.safeParse(fromJson(m.wait));
    return wait.success ? [[m.id, wait.data] as const] : [];
  }));
  const answered = new Set(await trx('wait_resumes').whereIn('message_id', [...waitOf.keys()]).pluck('message_id'));
  const rows: WaitRow[] = sent.flatMap(({ event, messageId, externalId }) => {
    const wait = waitOf.get(messageId);
    if (!wait || answered.has(messageId)) return [];
    return [{
      message_id: messageId,
      lead_id: event.lead_id!,
      bot_id: event.bot_id,
      user_id: event.user_id,
      mode: wait.mode,
      external_id: externalId ?? null,
      trace_id: event.trace_id,
      expires_at: event.created_at + wait.timeoutSeconds * 1000,
      created_at: event.created_at,
    }];
  });
  if (rows.length > 0) await trx('message_waits').insert(rows).onConflict(['message_id', 'lead_id']).ignore();
}

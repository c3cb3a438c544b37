import type { Knex } from 'knex';
import type { EventRow } from '../events/event-row';
import { fromJson } from '../platform/db/database';

/** A recipient's send as the rollups see it: from a `message.sent` event and its trace's communication. */
export interface Send {
  botId: number;
  leadId: string;
  userId: string | null;
  messageId: string;
  alias: string;
  channel: string;
  sentAt: number;
}

export interface LastSendRow {
  bot_id: number;
  lead_id: string;
  message_id: string;
  alias: string;
  channel: string;
  sent_at: number;
  answered: boolean | number;
}

/** The communication (alias) of each trace, '' for a trace no endpoint call started. */
export async function aliasesOfTraces(trx: Knex, traceIds: string[]): Promise<Map<string, string>> {
  const unique = [...new Set(traceIds)];
  const found = new Map<string, string>();
  for (let i = 0; i < unique.length; i += 500) {
    const rows: Array<{ trace_id: string; alias: string }> = await trx('analytics_traces').whereIn('trace_id', unique.slice(i, i + 500)).select('trace_id', 'alias');
    for (const row of rows) found.set(row.trace_id, row.alias);
  }
  return found;
}

export function sendOf(event: EventRow, alias: string): Send | undefined {
  if (!event.lead_id) return undefined;
  const payload = fromJson<{ messageId?: string; channel?: string }>(event.payload);
  return {
    botId: event.bot_id,
    leadId: event.lead_id,
    userId: event.user_id,
    messageId: payload.messageId ?? '',
    alias,
    channel: payload.channel ?? '',
    sentAt: event.created_at,
  };
}

/**
 * Makes each send its lead's latest unless a later one is already recorded (one statement for a
 * batch; at most one send per lead in it). An answer that came before the fan-out reached a send
 * registered it already, with its answer: kept as it is.
 */
export async function rememberSends(trx: Knex, sends: Send[]): Promise<void> {
  const rows = sends.map((send) => ({ bot_id: send.botId, lead_id: send.leadId, message_id: send.messageId, alias: send.alias, channel: send.channel, sent_at: send.sentAt, answered: false }));
  for (let i = 0; i < rows.length; i += 100) {
    await trx('analytics_last_sends')
      .insert(rows.slice(i, i + 100))
      .onConflict(['bot_id', 'lead_id'])
      .merge(['message_id', 'alias', 'channel', 'sent_at', 'answered'])
      .whereRaw('analytics_last_sends.message_id <> excluded.message_id')
      .whereRaw('analytics_last_sends.sent_at <= excluded.sent_at');
  }
}

import type { Knex } from 'knex';
import type { Bot } from '../bots/bots';
import type { Lead } from '../identity/leads';
import { type ConversationsContext, isWritten, keepMessage, openConversation, requestHandover } from './conversations';
import { conversationSettings } from './settings';

export { type ConversationSettings, conversationSettings, conversationSettingsSchema } from './settings';

/** No workflow receives the event: a human has the conversation (events.audience). */
export const OPERATOR_AUDIENCE = 'operator';

export interface PersonActivity {
  kind: 'message' | 'button' | 'contact';
  text?: string;
  body: Record<string, unknown>;
}

export interface Routing {
  /** The `audience` of the event recorded for this activity (null: every subscription as usual). */
  audience: string | null;
  /** Said to the person at once (they asked for a human). */
  reply?: string;
}

/**
 * Who gets what a person just did (a message, a tap, a contact), decided in the inbound
 * transaction: the holding subscription alone while a workflow holds the dialog; no workflow
 * while it waits for or is with an operator (the message is kept for the operator); everyone
 * otherwise. The handover keyword hands the conversation to the operators' queue.
 */
export async function routePersonActivity(trx: Knex, ctx: ConversationsContext, bot: Bot, lead: Lead, traceId: string, activity: PersonActivity): Promise<Routing> {
  const change = { botId: bot.id, lead, traceId };
  let row = await openConversation(trx, ctx, change);
  if (isWritten(row) && row.lead_id !== lead.id) {
    // The person's latest chat is where an operator's reply goes.
    await trx('conversations').where({ bot_id: row.bot_id, person_key: row.person_key }).update({ lead_id: lead.id });
    row = { ...row, lead_id: lead.id };
  }
  if (row.state === 'held') return { audience: row.holder };
  const settings = conversationSettings(bot);
  const asksForHuman = row.state === 'bot' && activity.kind === 'message' && activity.text?.trim().toLowerCase() === settings.handoverKeyword.toLowerCase();
  if (row.state === 'bot' && !asksForHuman) return { audience: null };
  if (asksForHuman) row = await requestHandover(trx, ctx, change, { reason: 'the person asked for an operator', priority: 'normal', source: 'person' });
  await keepMessage(trx, ctx, row, { direction: 'in', leadId: lead.id, channel: lead.channel, kind: activity.kind, body: activity.body });
  return { audience: OPERATOR_AUDIENCE, ...(asksForHuman ? { reply: settings.handoverReply } : {}) };
}

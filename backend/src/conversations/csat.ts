import type { Knex } from 'knex';
import type { Bot } from '../bots/bots';
import type { OutboxContext } from '../events/outbox';
import type { Lead } from '../identity/leads';
import type { AppContext } from '../platform/context';
import { type Change, closeConversation, type ConversationRow, personKeyOf } from './conversations';
import { tellPerson } from './notices';
import { conversationSettings } from './settings';

/**
 * The rating question's buttons carry the closed session: `rating:<1-5>:<sessionId>`. The analytics'
 * answer hook (analytics/answers.ts) reads them like Ask for Rating's `rating:<1-5>` and records
 * `rating.given`, with the conversation, its operator and team when the tap answers this question.
 */
export function ratingButtons(sessionId: string): Array<Array<{ text: string; data: string }>> {
  return [[1, 2, 3, 4, 5].map((rating) => ({ text: String(rating), data: `rating:${rating}:${sessionId}` }))];
}

/** Closes the conversation and, when a human had the session and the bot asks for ratings, asks the person to rate it. */
export async function closeConversationAndAskRating(trx: Knex, ctx: AppContext, bot: Bot, change: Change): Promise<ConversationRow> {
  const row = await closeConversation(trx, ctx, change);
  if (!row.csat_session_id) return row;
  await tellPerson(trx, ctx, bot, { leadId: row.lead_id, traceId: change.traceId, text: conversationSettings(bot).csatQuestion, buttons: ratingButtons(row.csat_session_id) });
  return row;
}

export interface ConversationRating {
  conversationId: string;
  operator: string | null;
  team: string | null;
}

/**
 * The person's answer to the question of session `sessionId`: kept once (the question is cleared
 * by a conditional update, so a second tap or a tap on another person's question counts nothing)
 * with the operator and team of that session. Null when it answers no open question.
 */
export async function rateClosedConversation(trx: Knex, ctx: OutboxContext, lead: Pick<Lead, 'botId' | 'id' | 'userId'>, sessionId: string, rating: number): Promise<ConversationRating | null> {
  const key = { bot_id: lead.botId, person_key: personKeyOf(lead), csat_session_id: sessionId };
  const question: Pick<ConversationRow, 'csat_operator' | 'csat_team'> | undefined = await trx('conversations').where(key).first('csat_operator', 'csat_team');
  if (!question) return null;
  const cleared = await trx('conversations').where(key).update({ csat_session_id: null, csat_operator: null, csat_team: null });
  if (cleared === 0) return null;
  await trx('conversation_ratings').insert({ bot_id: lead.botId, session_id: sessionId, lead_id: lead.id, operator: question.csat_operator, team: question.csat_team, rating, rated_at: ctx.clock.now() });
  return { conversationId: sessionId, operator: question.csat_operator, team: question.csat_team };
}
